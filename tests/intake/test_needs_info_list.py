"""The needs-information list: what the physician asked for, then what is missing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from intake.models import Decision, DecisionKind, Intake, IntakeStatus, ScreeningKind
from intake.selectors import pagination
from intake.selectors.intakes import needs_info_list
from intake.services.screenings import screening_record
from tests.factories import (
    FrontDeskFactory,
    IntakeFactory,
    PatientFactory,
    PhysicianFactory,
)
from tests.intake.frontdesk_helpers import AS_OF, example_answers
from tests.plans import plan_when_indexes_are_all_it_has

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client):
    client.force_login(FrontDeskFactory())
    return client


def submitted(answers, *, last_name, at) -> Intake:
    intake = IntakeFactory(
        patient=PatientFactory(last_name=last_name), answers=answers, status="submitted"
    )
    screening_record(intake=intake, as_of=AS_OF, kind=ScreeningKind.SUBMISSION)
    Intake.objects.filter(pk=intake.pk).update(submitted_at=at)
    return Intake.objects.get(pk=intake.pk)


def request_info(intake, note, at):
    Decision.objects.create(
        intake=intake,
        screening=intake.latest_screening,
        kind=DecisionKind.REQUEST_INFO,
        reason=note,
        physician=PhysicianFactory(),
        signed_at=at,
    )
    Intake.objects.filter(pk=intake.pk).update(status=IntakeStatus.INFO_REQUESTED)


def test_lists_requests_with_the_physicians_latest_note_then_missing_answers(
    desk_client, default_set
):
    t0 = timezone.now() - datetime.timedelta(days=3)
    missing_pain = example_answers("ex-inpatient-candidate.json")
    missing_pain.pop("pain_nrs")
    no_mri = example_answers("ex-inpatient-candidate.json") | {
        "mri_done": False,
        "edema_or_uptake": None,
    }
    gaps = submitted(missing_pain, last_name="Gaps", at=t0)
    submitted(no_mri, last_name="Rule", at=t0 + datetime.timedelta(hours=1))
    asked = submitted(
        example_answers("ex-inpatient-candidate.json"),
        last_name="Asked",
        at=t0 + datetime.timedelta(hours=2),
    )
    request_info(asked, "Which level hurts? Old note.", t0)
    request_info(asked, "Please send the MRI report.", t0 + datetime.timedelta(hours=5))
    complete = submitted(
        example_answers("ex-inpatient-candidate.json"), last_name="Complete", at=t0
    )
    IntakeFactory(patient=PatientFactory(last_name="Draft"))

    response = desk_client.get("/intakes/needs-information/")
    rows = response.context["rows"]
    assert [r.intake.patient.last_name for r in rows] == ["Asked", "Gaps", "Rule"]
    assert rows[0].requested and rows[0].note == "Please send the MRI report."
    assert rows[1].missing == (
        "Pain from the fracture, 0 (none) to 10 (worst imaginable), average over the last 24 hours",
    )
    assert rows[2].missing == ()
    assert rows[2].needed[0].startswith("An MRI is needed to show that the fracture is unhealed")
    body = response.content.decode()
    assert "Please send the MRI report." in body
    assert "Old note" not in body
    assert f'href="/intakes/{gaps.pk}/edit/"' in body  # a submitted intake changes with a reason
    assert f'href="/intakes/{asked.pk}/"' in body  # an info request is answered in the form
    assert complete.outcome == "candidate"


def test_empty_list_says_nothing_is_waiting(desk_client, default_set):
    assert (
        "Nothing is waiting for information."
        in desk_client.get("/intakes/needs-information/").content.decode()
    )


def test_list_is_paginated_by_25(desk_client, default_set):
    at = timezone.now()
    for n in range(27):
        submitted({"hospitalized": True}, last_name=f"P{n:02d}", at=at)
    assert len(desk_client.get("/intakes/needs-information/").context["rows"]) == 25
    assert len(desk_client.get("/intakes/needs-information/?page=2").context["rows"]) == 2


def test_only_the_front_desk_works_the_list(client, default_set):
    client.force_login(PhysicianFactory())
    assert client.get("/intakes/needs-information/").status_code == 403


def test_the_second_page_goes_on_where_the_first_stopped(desk_client, default_set):
    """Requests first, then gaps, each oldest first, across pages."""
    t0 = timezone.now() - datetime.timedelta(days=2)
    for n in range(30):
        intake = submitted(
            {"hospitalized": True}, last_name=f"P{n:02d}", at=t0 + datetime.timedelta(minutes=n)
        )
        if n % 3 == 0:
            request_info(intake, f"note {n}", t0)
    names = [
        row.intake.patient.last_name
        for page in (1, 2)
        for row in desk_client.get(f"/intakes/needs-information/?page={page}").context["rows"]
    ]
    asked = [f"P{n:02d}" for n in range(0, 30, 3)]
    assert names == asked + [f"P{n:02d}" for n in range(30) if n % 3]


def test_the_list_leaves_the_answers_out_of_its_rows(desk_client, default_set):
    submitted({"hospitalized": True}, last_name="Gaps", at=timezone.now())
    (row,) = desk_client.get("/intakes/needs-information/").context["rows"]
    assert {"answers"} <= row.intake.get_deferred_fields()
    assert {"answers"} <= row.intake.latest_screening.get_deferred_fields()


def test_a_long_list_says_about_how_many_pages(desk_client, default_set, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr(pagination, "planner_estimate", lambda rows: 100)
    for n in range(27):
        submitted({"hospitalized": True}, last_name=f"P{n:02d}", at=timezone.now())
    body = desk_client.get("/intakes/needs-information/").content.decode()
    assert ">Page 1 of about 4</span>" in body
    assert len(desk_client.get("/intakes/needs-information/?page=2").context["rows"]) == 2


# Session, user, roles; count, the page's intakes, their sets' prompts; the audit row; the
# patient-reported red flags every full staff page lists first.
NEEDS_INFO_QUERIES = 3 + 3 + 5 + 1


@pytest.mark.parametrize("rows", [10, 200])
def test_the_list_takes_the_same_queries_for_10_or_200_intakes(
    desk_client, default_set, django_assert_num_queries, rows
):
    at = timezone.now()
    for n in range(rows):
        intake = submitted({"hospitalized": True}, last_name=f"P{n:03d}", at=at)
        if n % 2:
            request_info(intake, "Please send the MRI report.", at)
    with django_assert_num_queries(NEEDS_INFO_QUERIES):
        first = desk_client.get("/intakes/needs-information/")
    with django_assert_num_queries(NEEDS_INFO_QUERIES):
        desk_client.get(f"/intakes/needs-information/?page={(rows + 24) // 25}")
    assert len(first.context["rows"]) == min(rows, 25)


@pytest.mark.postgres_only
def test_a_page_of_the_list_is_read_in_the_order_of_its_index(default_set):
    plan = plan_when_indexes_are_all_it_has(needs_info_list()[50:75])
    assert "Index Only Scan using intake_needs_info_idx" in plan
    assert "Sort" not in plan
