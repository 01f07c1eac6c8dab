"""The queue's counters (QueueCount): the database's triggers keep them equal to a GROUP BY over
the intakes whatever changes them (services, QuerySet.update, bulk_create, delete, the
re-screen's raw UPDATE, the seeding's COPY), and the queue's counts read them."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from intake.models import DecisionKind, Intake, IntakeStatus, QueueCount
from intake.rescreen.services import intakes_rescreen
from intake.selectors import queue as queue_selectors
from intake.services import reviews
from intake.services.intakes import intake_submit
from screener.models import Question
from tests.factories import FrontDeskFactory, IntakeFactory, PhysicianFactory
from tests.intake.rescreen.test_rescreen import publish_threshold_7
from tests.intake.review.factories import AS_OF, answers_for, submitted_intake
from tests.screener.helpers import WARFARIN
from tests.screener.helpers import submitted_intake as screened_intake

pytestmark = pytest.mark.django_db

KEY = ("status", "procedure_id", "outcome", "emergency")


def grouped() -> dict[tuple, int]:
    """Intakes per (status, procedure, outcome, emergency), counted now."""
    rows = Intake.objects.values_list(*KEY).annotate(n=Count("id")).order_by()
    return {tuple(row[:-1]): row[-1] for row in rows}


def counters() -> dict[tuple, int]:
    """The maintained counters (groups counted down to nothing left out)."""
    return {
        tuple(row[:-1]): row[-1]
        for row in QueueCount.objects.exclude(count=0).values_list(*KEY, "count")
    }


def typed_answers(outcome: str) -> dict:
    """The answers of ``outcome`` the front desk types (not those the app fills in)."""
    filled = set(Question.objects.exclude(filled_from="").values_list("code", flat=True))
    return {code: value for code, value in answers_for(outcome).items() if code not in filled}


def test_counters_follow_every_kind_of_write(default_set):
    """Create, save, submit, status change, update(), bulk_create and delete."""
    draft = IntakeFactory()
    assert counters() == grouped() == {("draft", draft.procedure_id, "", False): 1}

    draft.answers = {"pain": 1}
    draft.save()  # nothing counted changes
    assert counters() == grouped()

    intake_submit(
        intake_id=draft.pk,
        changes=typed_answers("emergency"),
        version=draft.version,
        user=FrontDeskFactory(),
        as_of=AS_OF,
    )
    draft.refresh_from_db()
    assert (draft.status, draft.outcome, draft.emergency) == ("submitted", "urgent", True)
    assert counters() == grouped()

    candidate = submitted_intake(outcome="candidate")
    reviews.review_decide(
        intake=candidate,
        screening_id=candidate.latest_screening_id,
        kind=DecisionKind.PROCEED,
        physician=PhysicianFactory(),
    )
    assert counters() == grouped()

    Intake.objects.filter(pk=candidate.pk).update(status=IntakeStatus.INFO_REQUESTED)
    assert counters() == grouped()

    Intake.objects.bulk_create(
        [
            Intake(
                patient=candidate.patient,
                procedure=candidate.procedure,
                criteria_set=candidate.criteria_set,
                status=IntakeStatus.SUBMITTED,
                outcome=outcome,
            )
            for outcome in ("conservative", "conservative", "needs_info")
        ]
    )
    assert counters() == grouped()

    IntakeFactory().delete()
    Intake.objects.filter(outcome="conservative").delete()
    assert counters() == grouped()
    assert sum(counters().values()) == Intake.objects.count() == 3


def test_counters_follow_a_rescreen(default_set):
    """The re-screen moves outcomes in one UPDATE per batch (raw SQL on PostgreSQL)."""
    moved = [screened_intake(WARFARIN) for _ in range(3)]
    assert {intake.outcome for intake in moved} == {"candidate_with_cautions"}
    before = counters()
    assert before == grouped()

    intakes_rescreen(target=publish_threshold_7(default_set), batch_size=2)

    assert set(Intake.objects.values_list("outcome", flat=True)) == {"conservative"}
    assert counters() == grouped() != before


def test_counters_follow_the_seeding(default_set):
    """The benchmark seeding writes with COPY on PostgreSQL, bulk_create elsewhere."""
    call_command(
        "seed_benchmark",
        intakes=60,
        seed=3,
        as_of=AS_OF.isoformat(),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert Intake.objects.count() == 60
    assert counters() == grouped()


def test_queue_counts_read_the_counters_and_match_counting_the_rows(default_set):
    """Status and procedure filters read the counters; a date filter counts the rows; both
    give the same numbers when the dates cover every case."""
    doc = PhysicianFactory()
    now = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)
    for outcome in ("emergency", "urgent", "candidate", "candidate", "needs_info"):
        submitted_intake(outcome=outcome, submitted_at=now - datetime.timedelta(days=1))
    IntakeFactory()  # a draft: never in the queue
    every_day = {
        "submitted_from": datetime.date(2025, 1, 1),
        "submitted_to": datetime.date(2025, 12, 31),
    }
    for status in ("submitted", queue_selectors.STATUS_ALL, "decided"):
        for outcome in ("", "candidate"):
            counted = queue_selectors.QueueFilters(status=status, outcome=outcome)
            scanned = queue_selectors.QueueFilters(status=status, outcome=outcome, **every_day)
            assert counted.counted_by_the_database()
            assert not scanned.counted_by_the_database()
            by_counters = queue_selectors.queue_counts(filters=counted, user=doc)
            by_rows = queue_selectors.queue_counts(filters=scanned, user=doc)
            assert by_counters == by_rows
    counts = queue_selectors.queue_counts(filters=queue_selectors.QueueFilters(), user=doc)
    assert [(c.outcome, c.count, c.emergency_count) for c in counts.outcomes] == [
        ("urgent", 2, 1),
        ("candidate_with_cautions", 0, 0),
        ("candidate", 2, 0),
        ("needs_info", 1, 0),
        ("conservative", 0, 0),
        ("contraindicated", 0, 0),
    ]
    assert counts.total == 5
    only_candidates = queue_selectors.QueueFilters(outcome="candidate")
    assert queue_selectors.queue_counts(filters=only_candidates, user=doc).total == 2


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL keeps triggers through ALTER TABLE"
)
def test_on_sqlite_migrating_puts_back_triggers_a_table_rebuild_dropped(default_set):
    """Django rebuilds a SQLite table for many changes, and its triggers go with it."""
    from intake.apps import _sqlite_queue_count_triggers

    submitted_intake(outcome="candidate")
    with connection.cursor() as cursor:
        for name in ("insert", "update", "delete"):
            cursor.execute(f"DROP TRIGGER intake_queuecount_{name}")
    IntakeFactory()  # not counted: no trigger
    assert counters() != grouped()

    _sqlite_queue_count_triggers(sender=None, using="default")

    assert counters() == grouped()
    IntakeFactory()
    assert counters() == grouped()
