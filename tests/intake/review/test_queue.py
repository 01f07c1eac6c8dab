"""The review queue: urgency-first order, counts, filters in the URL, the search in the session,
pagination with filters, turnaround highlighting, the CSV export, query count and access."""

from __future__ import annotations

import datetime
import html
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake.models import DecisionKind, IntakeStatus
from intake.selectors import exports as export_selectors
from intake.selectors import queue as queue_selectors
from intake.services import reviews
from screener.models import Procedure
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory, PhysicianFactory
from tests.intake.review.exports import download, export_start, file_rows
from tests.intake.review.factories import answers_for, submitted_intake

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)
QUEUE = reverse("review:queue")
EXPORT = reverse("review:export")


def ago(**delta) -> datetime.datetime:
    return NOW - datetime.timedelta(**delta)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def doc(client):
    user = PhysicianFactory(first_name="Ada", last_name="Lovelace")
    client.force_login(user)
    return user


def ids(response) -> list[int]:
    return [row.intake_id for row in response.context["rows"]]


@pytest.fixture
def mixed(default_set):
    """One intake of each outcome (two candidates), created out of queue order."""
    return {
        "contraindicated": submitted_intake(outcome="contraindicated", submitted_at=ago(days=10)),
        "candidate_new": submitted_intake(outcome="candidate", submitted_at=ago(hours=1)),
        "conservative": submitted_intake(outcome="conservative", submitted_at=ago(days=9)),
        "needs_info": submitted_intake(outcome="needs_info", submitted_at=ago(days=8)),
        "urgent": submitted_intake(outcome="urgent", submitted_at=ago(hours=3)),
        "candidate_old": submitted_intake(outcome="candidate", submitted_at=ago(days=7)),
        "emergency": submitted_intake(outcome="emergency", submitted_at=ago(minutes=1)),
        "cautions": submitted_intake(outcome="candidate_with_cautions", submitted_at=ago(hours=2)),
    }


QUEUE_ORDER = [
    "emergency",
    "urgent",
    "cautions",
    "candidate_old",
    "candidate_new",
    "needs_info",
    "conservative",
    "contraindicated",
]


def test_queue_is_urgency_first_then_oldest_submission(client, doc, mixed, frozen):
    """Emergency, urgent, cautions, candidate, needs info, conservative, contraindicated."""
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert ids(response) == [mixed[name].pk for name in QUEUE_ORDER]
    assert [row.outcome for row in response.context["rows"]][:2] == ["urgent", "urgent"]
    assert response.context["rows"][0].emergency is True


def test_queue_order_is_done_in_the_database(doc, mixed):
    """The selector's SQL orders (so pagination slices the right cases)."""
    filters = queue_selectors.QueueFilters()
    queryset = queue_selectors.queue_intakes(filters=filters, user=doc, now=NOW)
    assert "ORDER BY" in str(queryset.query)
    assert [i.pk for i in queryset[2:4]] == [mixed["cautions"].pk, mixed["candidate_old"].pk]


def test_counts_per_outcome_at_the_top(client, doc, mixed, frozen):
    response = client.get(QUEUE + "?outcome=candidate")
    counts = {c.outcome: (c.count, c.emergency_count) for c in response.context["counts"]}
    # The outcome filter does not narrow the counts: they are the tabs to switch outcome.
    assert counts == {
        "urgent": (2, 1),
        "candidate_with_cautions": (1, 0),
        "candidate": (2, 0),
        "needs_info": (1, 0),
        "conservative": (1, 0),
        "contraindicated": (1, 0),
    }
    assert "1 emergency" in response.content.decode()


def test_each_row_shows_patient_age_outcome_key_reason_and_waiting(client, doc, mixed, frozen):
    response = client.get(QUEUE)
    rows = {row.intake_id: row for row in response.context["rows"]}
    fever = rows[mixed["urgent"].pk]
    assert fever.outcome_label == "Urgent referral — for physician review now"
    assert fever.key_reason.startswith("Possible spinal infection.")
    assert fever.waiting_text == "3 h"
    assert fever.age == 77  # born 2 May 1947
    emergency = rows[mixed["emergency"].pk]
    assert emergency.outcome_label.startswith("EMERGENCY: do not book")
    assert emergency.key_reason.startswith("Possible cauda equina syndrome.")
    assert rows[mixed["contraindicated"].pk].key_reason.startswith(
        "Reported allergy to bone cement"
    )
    assert rows[mixed["needs_info"].pk].key_reason == (
        "Missing: Pain from the fracture, 0 (none) to 10 (worst imaginable), average over the "
        "last 24 hours"
    )
    assert rows[mixed["conservative"].pk].key_reason.startswith("No treatment pathway is met")
    assert rows[mixed["cautions"].pk].key_reason.startswith("Takes an anticoagulant.")
    assert rows[mixed["candidate_old"].pk].waiting_text == "7 d 0 h"
    page = response.content.decode()
    patient = mixed["urgent"].patient
    assert f"{patient.last_name}, {patient.first_name}" in page
    assert f"MRN {patient.mrn}" in page


def test_rows_past_the_turnaround_limit_are_highlighted(client, doc, default_set, frozen):
    """Urgent: 24 hours; others: 7 days (both settings)."""
    late_urgent = submitted_intake(outcome="urgent", submitted_at=ago(hours=25))
    fresh_urgent = submitted_intake(outcome="urgent", submitted_at=ago(hours=23))
    late_other = submitted_intake(outcome="candidate", submitted_at=ago(days=7, minutes=1))
    fresh_other = submitted_intake(outcome="candidate", submitted_at=ago(days=6, hours=23))
    response = client.get(QUEUE)
    overdue = {row.intake_id: row.overdue for row in response.context["rows"]}
    assert overdue == {
        late_urgent.pk: True,
        fresh_urgent.pk: False,
        late_other.pk: True,
        fresh_other.pk: False,
    }
    assert response.content.decode().count("Past turnaround limit") == 2


def test_turnaround_limits_come_from_settings(client, doc, default_set, frozen, settings):
    settings.REVIEW_TURNAROUND_URGENT_HOURS = 2
    settings.REVIEW_TURNAROUND_OTHER_HOURS = 1
    urgent = submitted_intake(outcome="urgent", submitted_at=ago(hours=3))
    other = submitted_intake(outcome="candidate", submitted_at=ago(minutes=90))
    rows = client.get(QUEUE).context["rows"]
    assert [(r.intake_id, r.overdue) for r in rows] == [(urgent.pk, True), (other.pk, True)]


# ------------------------------------------------------------------------------------------
# Filters


def test_filter_by_outcome(client, doc, mixed, frozen):
    response = client.get(QUEUE, {"outcome": "candidate"})
    assert ids(response) == [mixed["candidate_old"].pk, mixed["candidate_new"].pk]


def test_filter_by_status_defaults_to_waiting_for_review(client, doc, default_set, frozen):
    waiting = submitted_intake(outcome="candidate", submitted_at=ago(days=1))
    decided = submitted_intake(outcome="candidate", submitted_at=ago(days=2))
    decided.status = IntakeStatus.DECIDED
    decided.save()
    back = submitted_intake(outcome="needs_info", submitted_at=ago(days=3))
    back.status = IntakeStatus.INFO_REQUESTED
    back.save()
    IntakeFactory()  # a draft is never in review
    assert ids(client.get(QUEUE)) == [waiting.pk]
    assert ids(client.get(QUEUE, {"status": "submitted"})) == [waiting.pk]
    assert ids(client.get(QUEUE, {"status": "decided"})) == [decided.pk]
    assert ids(client.get(QUEUE, {"status": "info_requested"})) == [back.pk]
    # Candidates (oldest first) before information needed, whatever the status.
    assert ids(client.get(QUEUE, {"status": "all"})) == [decided.pk, waiting.pk, back.pk]


def test_filter_by_procedure(client, doc, default_set, frozen):
    kypho = Procedure.objects.create(slug="kyphoplasty", name="Balloon kyphoplasty")
    vertebro = submitted_intake(outcome="candidate", submitted_at=ago(days=1))
    other = submitted_intake(outcome="candidate", submitted_at=ago(days=2), procedure=kypho)
    assert ids(client.get(QUEUE, {"procedure": "kyphoplasty"})) == [other.pk]
    assert ids(client.get(QUEUE, {"procedure": "vertebroplasty"})) == [vertebro.pk]


def test_filter_by_submitted_date_range_includes_both_days(client, doc, default_set, frozen):
    def at(day, hour):
        return datetime.datetime(2025, 3, day, hour, 0, tzinfo=datetime.UTC)

    before = submitted_intake(outcome="candidate", submitted_at=at(9, 23))
    first_day = submitted_intake(outcome="candidate", submitted_at=at(10, 0))
    last_day = submitted_intake(outcome="candidate", submitted_at=at(12, 23))
    after = submitted_intake(outcome="candidate", submitted_at=at(13, 0))
    window = {"submitted_from": "2025-03-10", "submitted_to": "2025-03-12"}
    assert ids(client.get(QUEUE, window)) == [first_day.pk, last_day.pk]
    assert ids(client.get(QUEUE, {"submitted_from": "2025-03-13"})) == [after.pk]
    assert ids(client.get(QUEUE, {"submitted_to": "2025-03-09"})) == [before.pk]


def test_filter_by_assigned_physician_mine_or_unassigned(client, doc, default_set, frozen):
    other_doc = PhysicianFactory()
    mine = submitted_intake(outcome="candidate", submitted_at=ago(days=3), assigned_to=doc)
    theirs = submitted_intake(outcome="candidate", submitted_at=ago(days=2), assigned_to=other_doc)
    nobody = submitted_intake(outcome="candidate", submitted_at=ago(days=1))
    assert ids(client.get(QUEUE, {"assigned": "mine"})) == [mine.pk]
    assert ids(client.get(QUEUE, {"assigned": "unassigned"})) == [nobody.pk]
    assert ids(client.get(QUEUE, {"assigned": str(other_doc.pk)})) == [theirs.pk]
    rows = {r.intake_id: r for r in client.get(QUEUE).context["rows"]}
    assert rows[theirs.pk].assigned_to == f"{other_doc.first_name} {other_doc.last_name}"


def test_invalid_filters_are_reported_and_ignored_never_an_error(client, doc, mixed, frozen):
    response = client.get(
        QUEUE,
        {"outcome": "approved", "submitted_from": "yesterday", "assigned": "someone"},
    )
    assert response.status_code == 200
    assert len(ids(response)) == 8
    errors = response.context["filter_form"].errors
    assert set(errors) == {"outcome", "submitted_from", "assigned"}


def test_a_reversed_date_range_names_the_field(client, doc, mixed, frozen):
    response = client.get(QUEUE, {"submitted_from": "2025-03-12", "submitted_to": "2025-03-10"})
    assert response.context["filter_form"].errors["submitted_to"] == [
        "Submitted to: must be on or after “Submitted from”."
    ]


def test_filters_are_bookmarkable_in_the_url(client, doc, mixed, frozen):
    """The page links (outcome tabs, export) carry the filters of the address bar."""
    page = client.get(QUEUE, {"status": "submitted", "assigned": "unassigned"}).content.decode()
    assert 'action="/review/exports/?status=submitted&amp;assigned=unassigned"' in page
    assert "?status=submitted&amp;assigned=unassigned&amp;outcome=candidate" in page
    # "All" drops the outcome and keeps the rest, down to the bare queue.
    filtered = client.get(QUEUE, {"outcome": "candidate"}).content.decode()
    assert 'outcome=candidate">All' not in filtered
    assert '<a class="nav-link py-1" href="/review/?">All</a>' in filtered


# ------------------------------------------------------------------------------------------
# Search (patient data: posted, kept in the session, never in a URL)


def test_search_by_name_or_mrn_is_posted_and_kept_out_of_urls(client, doc, default_set, frozen):
    zoe = submitted_intake(
        outcome="candidate",
        submitted_at=ago(days=2),
        patient=PatientFactory(first_name="Zoë", last_name="Quist", mrn="MRN-7781"),
    )
    submitted_intake(
        outcome="candidate",
        submitted_at=ago(days=1),
        patient=PatientFactory(first_name="Ann", last_name="Other", mrn="MRN-1000"),
    )
    response = client.post(QUEUE + "?outcome=candidate", {"q": "quist"})
    assert response.status_code == 302
    assert response["Location"] == QUEUE + "?outcome=candidate"  # the term is not in the URL
    response = client.get(response["Location"])
    assert ids(response) == [zoe.pk]
    assert "quist" not in response.request["QUERY_STRING"]
    assert 'value="quist"' in response.content.decode()

    client.post(QUEUE, {"q": "zoe"})  # accents do not matter
    assert ids(client.get(QUEUE)) == [zoe.pk]
    client.post(QUEUE, {"q": "7781"})
    assert ids(client.get(QUEUE)) == [zoe.pk]
    client.post(QUEUE, {"q": "ann nobody"})  # every word must match
    assert ids(client.get(QUEUE)) == []
    assert "No cases match" in client.get(QUEUE).content.decode()

    client.post(QUEUE, {"q": "ann", "clear": "1"})
    assert len(ids(client.get(QUEUE))) == 2


@pytest.mark.parametrize("typed", ["Łukasz", "STRAUß", "łukasz strauß", "LUKASZ strauss"])
def test_search_matches_a_name_whatever_its_case_and_accents(
    client, doc, default_set, frozen, typed
):
    """The queue search compares name keys (``intake.names.name_key``), as patient search and
    duplicate detection do: case and accents never matter, nor letters such as ß and Ł that
    have no accent to strip, whichever way the name was registered or typed."""
    lukasz = submitted_intake(
        outcome="candidate",
        submitted_at=ago(days=2),
        patient=PatientFactory(first_name="Lukasz", last_name="Strauss", mrn="MRN-3101"),
    )
    submitted_intake(
        outcome="candidate",
        submitted_at=ago(days=1),
        patient=PatientFactory(first_name="Luke", last_name="Strand", mrn="MRN-3102"),
    )
    client.post(QUEUE, {"q": typed})
    assert ids(client.get(QUEUE)) == [lukasz.pk]


def test_search_too_long_is_refused_with_a_message(client, doc, mixed, frozen):
    response = client.post(QUEUE, {"q": "x" * 101}, follow=True)
    assert "Patient name or MRN: at most 100 characters." in response.content.decode()
    assert len(ids(response)) == 8


# ------------------------------------------------------------------------------------------
# Pagination


def test_pagination_keeps_filters_and_search(client, doc, default_set, frozen):
    smiths = [
        submitted_intake(
            outcome="candidate",
            submitted_at=ago(hours=100 - i),
            patient=PatientFactory(last_name="Smith"),
        )
        for i in range(30)
    ]
    for i in range(3):  # same outcome, other name: excluded by the search
        submitted_intake(
            outcome="candidate",
            submitted_at=ago(hours=200 + i),
            patient=PatientFactory(last_name="Jones"),
        )
    for i in range(3):  # same name, other outcome: excluded by the filter
        submitted_intake(
            outcome="conservative",
            submitted_at=ago(hours=300 + i),
            patient=PatientFactory(last_name="Smith"),
        )
    client.post(QUEUE, {"q": "smith"})
    first = client.get(QUEUE, {"outcome": "candidate"})
    assert ids(first) == [intake.pk for intake in smiths[:25]]
    # Next continues from the last case shown (an opaque id); a bare page number works too.
    last = smiths[24].pk
    assert (
        f'href="/review/?outcome=candidate&amp;page=2&amp;after={last}"' in first.content.decode()
    )
    second = client.get(QUEUE, {"outcome": "candidate", "page": "2", "after": str(last)})
    assert ids(second) == [intake.pk for intake in smiths[25:]]
    assert "Page 2 of 2 (30 cases)" in second.content.decode()
    assert 'href="/review/?outcome=candidate&amp;page=1"' in second.content.decode()
    assert ids(client.get(QUEUE, {"outcome": "candidate", "page": "2"})) == ids(second)
    # A page number past the end shows the last page rather than an error.
    assert ids(client.get(QUEUE, {"outcome": "candidate", "page": "99"})) == ids(second)


def test_empty_queue_says_so(client, doc, default_set):
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert "No cases match these filters" in response.content.decode()


# ------------------------------------------------------------------------------------------
# Query count


def _queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE)
    assert response.status_code == 200
    return len(queries)


def _fill(count: int, physician) -> None:
    outcomes = ["emergency", "needs_info", "candidate", "urgent", "conservative"]
    for i in range(count):
        submitted_intake(
            outcome=outcomes[i % len(outcomes)],
            submitted_at=ago(hours=i + 1),
            assigned_to=physician if i % 2 else None,
        )


@pytest.mark.parametrize("count", [3, 30])
def test_queue_query_count_does_not_grow_with_the_number_of_intakes(
    client, doc, default_set, frozen, count
):
    _fill(count, doc)
    client.post(QUEUE, {"q": "MRN"})  # the search (session) included
    # session, user, groups, procedures, physicians, counts (the page total with them), page
    # rows (each row's key reason is stored on its screening: no query for it), then the audit
    # row (savepoint, chain head, row, head moved on, savepoint released)
    assert _queue_queries(client) == 7 + 1 + 5  # + the patient-reported red flags (base.html)


# ------------------------------------------------------------------------------------------
# CSV export


def _csv(client, params=None) -> list[list[str]]:
    """The export under ``params``, through the queue's button, its task and its download."""
    response = download(client, export_start(client, params))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="review-queue-20250320-0900.csv"'
    )
    assert "no-store" in response["Cache-Control"]  # patient data is not cached
    rows = file_rows(response)
    assert rows[-2:] == [[], [f"# Export complete: {len(rows) - 3} rows."]]
    return rows[:-2]


def test_csv_export_has_every_filtered_case_in_queue_order(client, doc, mixed, frozen):
    mixed["urgent"].assigned_to = doc
    mixed["urgent"].save()
    rows = _csv(client)
    assert rows[0] == list(export_selectors.EXPORT_HEADER)
    assert [int(r[0]) for r in rows[1:]] == [mixed[name].pk for name in QUEUE_ORDER]
    fever = mixed["urgent"]
    assert rows[2] == [
        str(fever.pk),
        fever.patient.mrn,
        f"{fever.patient.last_name}, {fever.patient.first_name}",
        "77",
        "Percutaneous vertebroplasty",
        "Submitted",
        "",  # no physician decision yet: decision, by, at, planned date
        "",
        "",
        "",
        "Urgent referral",
        "no",
        "",  # no emergency: no emergency action expected
        "Possible spinal infection. Complete an infection work-up before any procedure.",
        "2025-03-20 06:00",
        "3.0",
        "no",
        "Ada Lovelace",
    ]
    assert rows[1][11:13] == ["yes", "no"]  # the emergency, no action recorded yet
    assert rows[-1][16] == "yes"  # contraindicated, 10 days old: past the limit


def test_csv_export_applies_filters_and_the_search(client, doc, default_set, frozen):
    wanted = submitted_intake(
        outcome="candidate",
        submitted_at=ago(days=1),
        patient=PatientFactory(last_name="Keller"),
    )
    submitted_intake(
        outcome="candidate", submitted_at=ago(days=1), patient=PatientFactory(last_name="Other")
    )
    submitted_intake(
        outcome="urgent", submitted_at=ago(days=1), patient=PatientFactory(last_name="Keller")
    )
    client.post(QUEUE, {"q": "keller"})
    rows = _csv(client, {"outcome": "candidate"})
    assert [int(r[0]) for r in rows[1:]] == [wanted.pk]


def test_csv_export_covers_more_than_one_page_and_batch(client, doc, default_set, frozen):
    for i in range(30):
        submitted_intake(outcome="candidate", submitted_at=ago(hours=i + 1))
    rows = list(
        export_selectors.queue_export_rows(
            filters=queue_selectors.QueueFilters(), user=doc, now=NOW, batch=7
        )
    )
    assert len(rows) == 31
    assert len({r[0] for r in rows[1:]}) == 30


def test_csv_export_neutralises_spreadsheet_formulas(client, doc, default_set, frozen):
    submitted_intake(
        outcome="candidate",
        submitted_at=ago(days=1),
        patient=PatientFactory(last_name='=HYPERLINK("http://x")', first_name="@Bob"),
    )
    rows = _csv(client)
    assert rows[1][2] == '\'=HYPERLINK("http://x"), @Bob'


# ------------------------------------------------------------------------------------------
# Access


def test_front_desk_cannot_open_the_queue_or_export(client, default_set):
    client.force_login(FrontDeskFactory())
    assert client.get(QUEUE).status_code == 403
    assert client.post(EXPORT).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client, default_set):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("emergency", ("urgent", True)),
        ("urgent", ("urgent", False)),
        ("candidate_with_cautions", ("candidate_with_cautions", False)),
        ("candidate", ("candidate", False)),
        ("needs_info", ("needs_info", False)),
        ("conservative", ("conservative", False)),
        ("contraindicated", ("contraindicated", False)),
    ],
)
def test_the_review_factory_screens_each_outcome(default_set, outcome, expected):
    """Guard for these tests: the answers of each kind screen to the outcome they name."""
    intake = submitted_intake(answers=answers_for(outcome))
    assert (intake.outcome, intake.emergency, intake.status) == (*expected, "submitted")


# ------------------------------------------------------------------------------------------
# The decided view


def _row_texts(response) -> list[str]:
    """Each body row of the queue table as a reader sees it (tags dropped, spaces collapsed)."""
    page = response.content.decode()
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    rows = re.findall(r"<tr\b.*?</tr>", body, flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def _headers(response) -> list[str]:
    page = response.content.decode()
    head = page[page.index("<thead>") : page.index("</thead>")]
    cells = re.findall(r"<th\b[^>]*>(.*?)</th>", head, flags=re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells]


def test_the_decided_view_shows_the_decision_who_when_and_the_planned_date(
    client, doc, default_set
):
    """Columns for the decision, who signed it, when, and the planned date (blank when none);
    the wait shown is the one the decision ended, however long ago it was signed."""
    bo = PhysicianFactory(first_name="Bo", last_name="Baker")
    planned = submitted_intake(
        outcome="candidate",
        submitted_at=ago(hours=30),
        patient=PatientFactory(last_name="Hopper", first_name="Grace", mrn="MRN-1"),
    )
    unplanned = submitted_intake(
        outcome="conservative",
        submitted_at=ago(hours=50),
        patient=PatientFactory(last_name="Keller", first_name="Helen", mrn="MRN-2"),
    )
    with time_machine.travel(NOW, tick=False):
        decision = reviews.review_decide(
            intake=planned,
            screening_id=planned.latest_screening_id,
            kind=DecisionKind.PROCEED,
            physician=doc,
            planned_procedure_date=datetime.date(2025, 4, 2),
        )
        reviews.review_decide(
            intake=unplanned,
            screening_id=unplanned.latest_screening_id,
            kind=DecisionKind.CONSERVATIVE,
            physician=bo,
        )
    assert decision.planned_procedure_date == datetime.date(2025, 4, 2)
    with time_machine.travel(NOW + datetime.timedelta(days=10), tick=False):
        response = client.get(QUEUE, {"status": "decided"})
    assert _headers(response) == [
        "Patient",
        "Age",
        "Decision",
        "Decided by",
        "Decided on",
        "Planned procedure",
        "Waited",
        "Assigned",
        "Actions",
    ]
    assert _row_texts(response) == [
        "Hopper, Grace MRN MRN-1 · Decided 77 Proceed to procedure The screener suggested: "
        "Appears to meet criteria Ada Lovelace 20 Mar 2025 09:00 02 Apr 2025 "
        "30 h until the decision You Open the case of Hopper, Grace",
        "Keller, Helen MRN MRN-2 · Decided 77 Conservative care The screener suggested: "
        "Conservative care suggested Bo Baker 20 Mar 2025 09:00 "
        "2 d 2 h until the decision Bo Baker Open the case of Keller, Helen",
    ]


def test_the_waiting_view_keeps_its_columns(client, doc, mixed, frozen):
    assert _headers(client.get(QUEUE)) == [
        "Patient",
        "Age",
        "Decision / suggestion",
        "Key reason",
        "Waiting",
        "Assigned",
        "Actions",
    ]


def test_the_csv_export_has_the_planned_date_and_the_wait_the_decision_ended(
    client, doc, default_set
):
    intake = submitted_intake(outcome="candidate", submitted_at=ago(hours=30))
    with time_machine.travel(NOW, tick=False):
        reviews.review_decide(
            intake=intake,
            screening_id=intake.latest_screening_id,
            kind=DecisionKind.PROCEED,
            physician=doc,
            planned_procedure_date=datetime.date(2025, 4, 2),
        )
    with time_machine.travel(NOW + datetime.timedelta(days=10), tick=False):
        header, row, *_last_lines = file_rows(
            download(client, export_start(client, {"status": "decided"}))
        )
    cells = dict(zip(header, row, strict=True))
    assert {name: cells[name] for name in header[6:10]} == {
        "Physician decision": "Proceed to procedure",
        "Decided by": "Ada Lovelace",
        "Decided at": "2025-03-20 09:00",
        "Planned procedure date": "2025-04-02",
    }
    assert cells["Hours waiting (stops at the decision)"] == "30.0"


def test_the_decided_view_query_count_does_not_grow_with_the_number_of_cases(
    client, doc, default_set, frozen
):
    def decided_queries(count: int) -> int:
        for _ in range(count):
            intake = submitted_intake(outcome="candidate", submitted_at=ago(hours=2))
            reviews.review_decide(
                intake=intake,
                screening_id=intake.latest_screening_id,
                kind=DecisionKind.PROCEED,
                physician=doc,
                planned_procedure_date=datetime.date(2025, 4, 2),
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(QUEUE, {"status": "decided"})
        assert "02 Apr 2025" in response.content.decode()
        return len(queries)

    assert decided_queries(2) == decided_queries(20)


# ------------------------------------------------------------------------------------------
# The filters panel on a phone: folded unless something narrows the queue


@pytest.mark.parametrize(
    ("filters", "count"),
    [
        (queue_selectors.QueueFilters(), 0),
        (queue_selectors.QueueFilters(status=IntakeStatus.SUBMITTED.value), 0),
        (queue_selectors.QueueFilters(search="quist"), 0),
        (queue_selectors.QueueFilters(outcome="candidate"), 1),
        (queue_selectors.QueueFilters(status=queue_selectors.STATUS_ALL), 1),
        (
            queue_selectors.QueueFilters(
                outcome="urgent",
                status=IntakeStatus.DECIDED.value,
                procedure="vertebroplasty",
                submitted_from=datetime.date(2025, 3, 1),
                submitted_to=datetime.date(2025, 3, 9),
                assigned=queue_selectors.ASSIGNED_MINE,
            ),
            6,
        ),
    ],
)
def test_narrowing_count_counts_the_filters_that_differ_from_the_default_queue(filters, count):
    """The default status ("waiting for review") and the search are not counted."""
    assert filters.narrowing_count() == count


def filters_panel(response) -> tuple[str, str]:
    """The "Filters" button's aria-expanded and its panel's classes, as the page has them."""
    page = response.content.decode()
    expanded = re.search(r'aria-controls="queue-filters"\s+aria-expanded="(\w+)"', page)
    panel = re.search(r'<div id="queue-filters" class="([^"]*)"', page)
    assert expanded and panel, "the Filters button or its panel is missing"
    return expanded.group(1), panel.group(1)


def test_the_filters_panel_is_folded_on_a_phone_while_nothing_narrows_the_queue(
    client, doc, mixed, frozen
):
    """Folded below md (no "show"), always shown from md up ("d-md-block")."""
    assert filters_panel(client.get(QUEUE)) == ("false", "collapse d-md-block")
    assert filters_panel(client.get(QUEUE, {"status": "submitted"})) == (
        "false",
        "collapse d-md-block",
    )


@pytest.mark.parametrize(
    "query",
    [{"outcome": "candidate"}, {"status": "decided"}, {"submitted_from": "yesterday"}],
    ids=["a filter", "another status", "an invalid filter"],
)
def test_the_filters_panel_is_open_while_a_filter_is_on_or_wrong(client, doc, mixed, frozen, query):
    response = client.get(QUEUE, query)
    assert filters_panel(response) == ("true", "collapse d-md-block show")


def test_the_filters_button_says_how_many_filters_are_on_and_the_search(client, doc, mixed, frozen):
    response = client.get(QUEUE, {"outcome": "candidate", "assigned": "mine"})
    assert '<span class="badge text-bg-primary">2 active</span>' in response.content.decode()
    client.post(QUEUE, {"q": "quist"})
    response = client.get(QUEUE)
    assert filters_panel(response) == ("true", "collapse d-md-block show")
    assert '<span class="badge text-bg-primary">search on</span>' in response.content.decode()
    assert "active</span>" not in response.content.decode()
