"""The queue's CSV export as a background task: the queue's button starts it, its page shows
the rows written and then the download, for the physician who asked only; an export cut short
(an error, a worker that died) is said to be incomplete and has no file; files expire; the
keyset batches give every row once, in queue order."""

from __future__ import annotations

import datetime
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake.exports import services
from intake.exports.tasks import queue_export_run
from intake.models import DecisionKind, QueueExport, QueueExportStatus, queue_export_storage
from intake.selectors import exports as export_selectors
from intake.selectors import queue as queue_selectors
from intake.services import emergencies as emergency_services
from intake.services import reviews
from tests.factories import PatientFactory, PhysicianFactory
from tests.intake.review.exports import EXPORT, download, export_row, export_start, file_rows
from tests.intake.review.factories import submitted_intake

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)
QUEUE = reverse("review:queue")


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


def progress_url(export: QueueExport) -> str:
    return reverse("review:export-progress", args=[export.pk])


def page_html(client, export: QueueExport) -> str:
    response = client.get(progress_url(export))
    assert response.status_code == 200
    return response.content.decode()


def page_text(client, export: QueueExport) -> str:
    """The page as read (tags dropped); its responses are never cached."""
    response = client.get(progress_url(export))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split()).replace(" .", ".")


def seven_cases() -> list:
    return [
        submitted_intake(outcome="candidate", submitted_at=ago(hours=h)) for h in range(7, 0, -1)
    ]


def test_the_queue_button_posts_the_filters_and_shows_the_export_page(
    client, doc, default_set, frozen
):
    """The queue's export control is a form (POST, CSRF) carrying the queue's filters."""
    page = client.get(QUEUE, {"outcome": "candidate"}).content.decode()
    assert '<form method="post" action="/review/exports/?outcome=candidate"' in page
    assert client.get(EXPORT).status_code == 405  # a link can no longer start one


def test_an_export_runs_to_a_complete_file_offered_for_download(client, doc, default_set, frozen):
    """Button, task, page ("complete"), download: the rows in queue order, then the line that
    says the file is complete; the file is not cached."""
    cases = seven_cases()
    export = export_start(client, {"outcome": "candidate"})
    export.refresh_from_db()
    assert (export.status, export.total, export.written) == ("done", 7, 7)
    text = page_text(client, export)
    assert "Export complete: 7 rows." in text
    assert "Cases: Submitted, appears to meet criteria." in text
    html = page_html(client, export)
    assert f'href="/review/exports/{export.pk}/download/"' in html
    assert "data-job-running" not in html  # finished: the page no longer updates itself
    response = download(client, export)
    assert "no-store" in response["Cache-Control"]
    rows = file_rows(response)
    assert rows[0] == list(export_selectors.EXPORT_HEADER)
    assert [int(row[0]) for row in rows[1:-2]] == [case.pk for case in cases]
    assert rows[-2:] == [[], ["# Export complete: 7 rows."]]


def test_the_page_shows_rows_written_while_the_export_runs(client, doc, default_set, frozen):
    """Queued, then "N of M rows written", updating itself (the job page's script, no inline
    script); nothing to download until every row is written."""
    export = services.queue_export_create(user=doc, filters=queue_selectors.QueueFilters())
    assert "Waiting for the task worker to start it." in page_text(client, export)
    assert "data-job-running" in page_html(client, export)
    services.queue_export_start(export_id=export.pk)
    services.queue_export_progress(export_id=export.pk, written=3000, total=20000)
    text = page_text(client, export)
    assert "3000 of 20000 rows written (15%)." in text
    html = page_html(client, export)
    assert 'data-job-running data-refresh-seconds="2"' in html
    assert '<script src="/static/js/job_progress.js" defer></script>' in html
    assert "/download/" not in html
    response = download(client, export)
    assert response.status_code == 302
    assert response["Location"] == progress_url(export)


def test_an_export_cut_short_by_an_error_says_so_and_has_no_file(
    client, doc, default_set, frozen, monkeypatch
):
    """The task fails on the 5th row (batches of 2): the page says the export stopped after 4
    of 7 rows and is incomplete, offers to export again; no file exists to download."""
    seven_cases()
    monkeypatch.setattr(export_selectors, "BATCH_SIZE", 2)
    rows_made = 0
    export_cells = export_selectors.export_cells

    def failing_on_the_fifth(values, **kwargs):
        nonlocal rows_made
        rows_made += 1
        if rows_made == 5:
            raise ValueError("a row the export cannot write")
        return export_cells(values, **kwargs)

    monkeypatch.setattr(export_selectors, "export_cells", failing_on_the_fifth)
    export = export_start(client)
    export.refresh_from_db()
    assert (export.status, export.written, export.total, export.file.name) == ("failed", 4, 7, "")
    text = page_text(client, export)
    assert "The export stopped after 4 of 7 rows and is incomplete." in text
    assert "Stopped by an error: ValueError" in text
    assert "a row the export cannot write" not in text  # an error's message can quote a row
    assert "No file was kept, so nothing partial can be downloaded." in text
    assert "Export again" in text
    assert "/download/" not in page_html(client, export)
    refused = client.get(reverse("review:export-download", args=[export.pk]), follow=True)
    assert refused.redirect_chain == [(progress_url(export), 302)]
    assert "This export has no file to download." in refused.content.decode()
    assert not queue_export_storage().exists(f"{export.pk}.csv")


def test_an_export_whose_worker_died_is_shown_stopped_and_cannot_finish_later(
    client, doc, default_set, frozen
):
    """No heartbeat for CRITERIA_JOB_STALL_SECONDS: the page says it stopped after N of M rows;
    once the sweep marks it stopped, a late write of the old worker saves nothing."""
    export = services.queue_export_create(user=doc, filters=queue_selectors.QueueFilters())
    services.queue_export_start(export_id=export.pk, now=ago(minutes=10))
    services.queue_export_progress(
        export_id=export.pk, written=3000, total=20000, now=ago(minutes=10)
    )
    text = page_text(client, export)
    assert "The export stopped after 3000 of 20000 rows and is incomplete." in text
    assert "The task worker writing it stopped." in text
    assert "data-job-running" not in page_html(client, export)
    assert download(client, export).status_code == 302
    call_command("expire_queue_exports", stdout=io.StringIO())
    export.refresh_from_db()
    assert export.status == QueueExportStatus.FAILED
    with pytest.raises(services.ExportStopped):
        services.queue_export_finish(export_id=export.pk, content=io.BytesIO(b"late"), written=1)
    assert not queue_export_storage().exists(f"{export.pk}.csv")


def test_export_again_makes_a_new_export_with_the_same_filters_and_search(
    client, doc, default_set, frozen, monkeypatch
):
    wanted = submitted_intake(
        outcome="candidate", submitted_at=ago(days=1), patient=PatientFactory(last_name="Keller")
    )
    submitted_intake(outcome="candidate", submitted_at=ago(days=1))
    client.post(QUEUE, {"q": "keller"})
    first = services.queue_export_create(
        user=doc, filters=queue_selectors.QueueFilters(outcome="candidate", search="keller")
    )
    services.queue_export_start(export_id=first.pk)
    services.queue_export_fail(export_id=first.pk, error="Stopped by an error: OSError")
    client.post(QUEUE, {"clear": "1"})  # the session's search no longer matters
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("review:export-again", args=[first.pk]))
    again = QueueExport.objects.exclude(pk=first.pk).get()
    assert response["Location"] == progress_url(again)
    assert again.filters == first.filters
    rows = file_rows(download(client, again))
    assert [int(row[0]) for row in rows[1:-2]] == [wanted.pk]


def test_only_the_physician_who_asked_sees_the_export(client, doc, default_set, frozen):
    """Another physician gets a 404 for its page, its file and "export again", as for an
    export that does not exist."""
    seven_cases()
    export = export_start(client)
    client.force_login(PhysicianFactory())
    for name in ("review:export-progress", "review:export-download"):
        assert client.get(reverse(name, args=[export.pk])).status_code == 404
    assert client.post(reverse("review:export-again", args=[export.pk])).status_code == 404
    assert QueueExport.objects.count() == 1


def test_files_expire_refused_then_deleted(client, doc, default_set, frozen, settings):
    """After QUEUE_EXPORT_KEEP_HOURS the page says the file expired and the download is
    refused; the command deletes the file and forgets the patient search."""
    settings.QUEUE_EXPORT_KEEP_HOURS = 24
    seven_cases()
    client.post(QUEUE, {"q": "MRN"})
    export = export_start(client)
    export.refresh_from_db()
    name = export.file.name
    assert export.expires_at == NOW + datetime.timedelta(hours=24)
    assert queue_export_storage().exists(name)
    with time_machine.travel(NOW + datetime.timedelta(hours=23), tick=False):
        client.force_login(doc)  # a day later: signed in again
        assert download(client, export).status_code == 200
    with time_machine.travel(NOW + datetime.timedelta(hours=24), tick=False):
        client.force_login(doc)
        assert "This export's file has expired" in page_text(client, export)
        assert download(client, export).status_code == 302
        with TestCase.captureOnCommitCallbacks(execute=True):  # the file goes once committed
            call_command("expire_queue_exports", stdout=io.StringIO())
    export.refresh_from_db()
    assert (export.status, export.file.name, export.filters["search"]) == ("expired", "", "")
    assert not queue_export_storage().exists(name)
    assert download(client, export).status_code == 302


def test_an_unfinished_export_never_leaves_a_file(client, doc, default_set, frozen):
    """A task that starts an export already running (a second delivery) does nothing."""
    seven_cases()
    export = services.queue_export_create(user=doc, filters=queue_selectors.QueueFilters())
    services.queue_export_start(export_id=export.pk)
    queue_export_run(str(export.pk))  # not queued: nothing is written
    export.refresh_from_db()
    assert (export.status, export.written, export.file.name) == ("running", 0, "")


# ------------------------------------------------------------------------------------------
# Keyset batches


@pytest.fixture
def queue_of_every_rank(default_set, doc):
    """Cases of every rank: an emergency nobody acted on, one acted on, urgent, every other
    outcome, several submitted at the same moment (the id breaks the tie), across batches."""
    same_moment = ago(hours=5)
    cases = []
    for outcome in (
        "emergency",
        "emergency",
        "urgent",
        "candidate_with_cautions",
        "candidate",
        "needs_info",
        "conservative",
        "contraindicated",
    ):
        cases += [submitted_intake(outcome=outcome, submitted_at=same_moment) for _ in range(2)]
        cases.append(submitted_intake(outcome=outcome, submitted_at=ago(hours=9)))
    acted_on = next(case for case in cases if case.emergency_open)
    emergency_services.emergency_action_record(
        intake_id=acted_on.pk,
        contacted="oncall",
        contacted_at=NOW,
        note="Sent to the ER.",
        user=doc,
    )
    return cases


@pytest.mark.parametrize("batch", [1, 2, 3, 5, 24, 25, 1000])
def test_keyset_batches_give_every_row_once_in_queue_order(doc, queue_of_every_rank, batch):
    """Whatever the batch size, the batches end to end are the queue, in its order, each case
    once (ranks change inside batches and at their edges)."""
    filters = queue_selectors.QueueFilters()
    expected = list(
        queue_selectors.queue_intakes(filters=filters, user=doc, now=NOW).values_list(
            "pk", flat=True
        )
    )
    assert len(expected) == 24
    got = [
        int(row[0])
        for rows in export_selectors.queue_export_batches(
            filters=filters, user=doc, now=NOW, batch=batch
        )
        for row in rows
    ]
    assert got == expected
    assert export_selectors.queue_export_count(filters=filters, user=doc, now=NOW) == 24


def test_each_batch_is_one_query_with_no_offset(doc, queue_of_every_rank):
    """No OFFSET: each batch is one query starting after the last row of the one before."""
    with CaptureQueriesContext(connection) as queries:
        batches = list(
            export_selectors.queue_export_batches(
                filters=queue_selectors.QueueFilters(), user=doc, now=NOW, batch=5
            )
        )
    assert [len(rows) for rows in batches] == [5, 5, 5, 5, 4]
    selects = [q["sql"] for q in queries.captured_queries]
    assert len(selects) == 5
    assert not any("OFFSET" in sql.upper() for sql in selects)


def test_export_cells_are_the_queue_pages_rows(default_set, doc):
    """The export reads plain values for speed; each row's cells are those the queue page's row
    gives (``export_row`` of ``queue_rows``), on every kind of row: emergencies open and acted
    on, every outcome, decisions in force (a plan, a referral), information requested, a case
    submitted again after a decision, assignees with and without a full name, birthdays."""
    nameless = PhysicianFactory(first_name="", last_name="", username="drnoname")
    with time_machine.travel(NOW - datetime.timedelta(days=2), tick=False):
        cases = {
            outcome: submitted_intake(outcome=outcome, submitted_at=ago(days=3))
            for outcome in (
                "emergency",
                "urgent",
                "candidate_with_cautions",
                "candidate",
                "needs_info",
                "conservative",
                "contraindicated",
            )
        }
        acted = submitted_intake(outcome="emergency", submitted_at=ago(days=4))
        emergency_services.emergency_action_record(
            intake_id=acted.pk, contacted="oncall", contacted_at=ago(days=3), note="ER.", user=doc
        )
        planned = submitted_intake(outcome="candidate", submitted_at=ago(days=5))
        reviews.review_decide(
            intake=planned,
            screening_id=planned.latest_screening_id,
            kind=DecisionKind.PROCEED,
            physician=doc,
            planned_procedure_date=datetime.date(2025, 4, 2),
        )
        referred = submitted_intake(outcome="urgent", submitted_at=ago(days=5))
        reviews.review_decide(
            intake=referred,
            screening_id=referred.latest_screening_id,
            kind=DecisionKind.REFER,
            physician=nameless,
            refer_to="spine surgery",
            reason="Unstable.",
        )
        asked = submitted_intake(outcome="needs_info", submitted_at=ago(days=6))
        reviews.review_decide(
            intake=asked,
            screening_id=asked.latest_screening_id,
            kind=DecisionKind.REQUEST_INFO,
            physician=doc,
            reason="MRI please.",
        )
        reviews.review_take(intake=cases["candidate"], physician=nameless)
        reviews.review_take(intake=cases["urgent"], physician=doc)
        submitted_intake(  # 75 today
            outcome="candidate",
            submitted_at=ago(days=1),
            patient=PatientFactory(date_of_birth=datetime.date(1950, 3, 20)),
        )
    filters = queue_selectors.QueueFilters(status=queue_selectors.STATUS_ALL)
    intakes = queue_selectors.queue_intakes(filters=filters, user=doc, now=NOW)
    expected = [export_row(row) for row in queue_selectors.queue_rows(intakes, now=NOW)]
    got = [
        row
        for rows in export_selectors.queue_export_batches(
            filters=filters, user=doc, now=NOW, batch=4
        )
        for row in rows
    ]
    assert len(got) == 12
    assert got == expected
    decided_cells = {row[0]: row[6:10] for row in got if row[6]}
    assert decided_cells == {
        str(planned.pk): ["Proceed to procedure", "Ada Lovelace", "2025-03-18 09:00", "2025-04-02"],
        str(referred.pk): ["Refer to spine surgery", "drnoname", "2025-03-18 09:00", ""],
        str(asked.pk): ["Request more information", "Ada Lovelace", "2025-03-18 09:00", ""],
    }


@pytest.mark.parametrize(
    ("status", "started", "beat", "stalled"),
    [
        ("running", 10, 10, True),  # no sign of life for 10 minutes
        ("running", 10, 1, False),  # beat a minute ago
        ("running", 10, None, True),  # started 10 minutes ago, never beat
        ("running", 1, None, False),  # started a minute ago, not beaten yet
        ("queued", None, None, False),
        ("done", 10, 10, False),
    ],
)
def test_an_export_and_a_criteria_job_stall_by_the_same_rule(
    doc, default_set, settings, status, started, beat, stalled
):
    """One rule, read from the row (the progress page) and in the query (the sweep), for both
    kinds of work a worker does under a heartbeat."""
    from screener.models import CriteriaJob, CriteriaJobKind, CriteriaJobStatus

    assert CriteriaJobStatus.RUNNING == QueueExportStatus.RUNNING == "running"
    seconds = 5 * 60
    times = {
        "started_at": ago(minutes=started) if started is not None else None,
        "heartbeat_at": ago(minutes=beat) if beat is not None else None,
    }
    export = QueueExport.objects.create(requested_by=doc, filters={}, status=status, **times)
    job = CriteriaJob.objects.create(
        kind=CriteriaJobKind.RESCREEN, criteria_set=default_set, status=status, **times
    )
    for row in (export, job):
        assert row.is_stalled(now=NOW, seconds=seconds) is stalled
        assert type(row).objects.stalled(now=NOW, seconds=seconds).filter(pk=row.pk).exists() is (
            stalled
        )
