"""Two physicians deciding (or amending) the same case at the same moment, in real concurrent
transactions on PostgreSQL: one decision is signed, the other is refused showing it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from intake.models import Decision, DecisionKind, IntakeStatus
from intake.services import reviews
from tests.factories import PhysicianFactory
from tests.intake.review.factories import submitted_intake

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,  # row locks; see tests/conftest.py
]

TIMEOUT = 10  # seconds; a deadlock or a lost wake-up fails the test instead of hanging it


class Worker(threading.Thread):
    """Runs ``action`` in its own thread (so its own database connection), keeping the result
    or the exception, and closes the connection at the end."""

    def __init__(self, action: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.action = action
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.action()
        except BaseException as exc:  # reported to the test thread
            self.error = exc
        finally:
            connection.close()


def _decide(intake_id: int, screening_id: int, physician, kind: str, reason: str = ""):
    from intake.models import Intake

    intake = Intake.objects.get(pk=intake_id)  # each physician's own copy of the page
    return reviews.review_decide(
        intake=intake,
        screening_id=screening_id,
        kind=kind,
        physician=physician,
        reason=reason,
    )


def test_two_physicians_deciding_at_once_one_wins_the_other_sees_it(default_set):
    ada = PhysicianFactory(first_name="Ada", last_name="Lovelace")
    bo = PhysicianFactory(first_name="Bo", last_name="Baker")
    intake = submitted_intake(outcome="candidate")
    screening_id = intake.latest_screening_id
    barrier = threading.Barrier(2, timeout=TIMEOUT)

    def racing(physician, kind, reason=""):
        def action():
            barrier.wait()  # both start their transaction together
            return _decide(intake.pk, screening_id, physician, kind, reason)

        return action

    workers = [
        Worker(racing(ada, DecisionKind.PROCEED)),
        Worker(racing(bo, DecisionKind.NOT_CANDIDATE, "Too frail.")),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT)
        assert not worker.is_alive()

    winners = [w for w in workers if w.error is None]
    losers = [w for w in workers if w.error is not None]
    assert len(winners) == 1 and len(losers) == 1
    signed = winners[0].result
    assert isinstance(losers[0].error, reviews.DecisionConflict)
    assert losers[0].error.decision == signed  # the refusal shows the first decision
    assert list(Decision.objects.filter(intake=intake)) == [signed]
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.DECIDED


def test_the_second_waits_for_the_first_transaction_then_is_refused(default_set):
    """Physician A's transaction is held open after deciding; B's decision blocks on the row
    lock (it does not read the stale status), and is refused once A commits."""
    ada = PhysicianFactory(first_name="Ada", last_name="Lovelace")
    bo = PhysicianFactory(first_name="Bo", last_name="Baker")
    intake = submitted_intake(outcome="urgent")
    screening_id = intake.latest_screening_id
    decided = threading.Event()
    release = threading.Event()

    def first():
        with transaction.atomic():
            decision = reviews.review_decide(
                intake=type(intake).objects.get(pk=intake.pk),
                screening_id=screening_id,
                kind=DecisionKind.REFER,
                physician=ada,
                refer_to="Infectious diseases",
            )
            decided.set()
            assert release.wait(TIMEOUT)
        return decision

    a = Worker(first)
    a.start()
    assert decided.wait(TIMEOUT)
    b = Worker(lambda: _decide(intake.pk, screening_id, bo, DecisionKind.NOT_CANDIDATE, "No."))
    b.start()
    time.sleep(0.5)
    assert b.is_alive(), "the second decision must wait for the first transaction's row lock"
    release.set()
    a.join(TIMEOUT)
    b.join(TIMEOUT)
    assert not a.is_alive() and not b.is_alive()
    assert a.error is None
    assert isinstance(b.error, reviews.DecisionConflict)
    assert b.error.decision == a.result
    assert "Ada Lovelace already recorded “Refer”" in b.error.message
    assert list(Decision.objects.filter(intake=intake)) == [a.result]


def test_two_amendments_at_once_supersede_the_decision_only_once(default_set):
    ada = PhysicianFactory(first_name="Ada", last_name="Lovelace")
    bo = PhysicianFactory(first_name="Bo", last_name="Baker")
    intake = submitted_intake(outcome="candidate")
    first = _decide(intake.pk, intake.latest_screening_id, ada, DecisionKind.PROCEED)
    # Released, so that either may amend it (a held case needs a take-over: test_takeover.py).
    reviews.review_assign(intake=intake, assignee=None, by=ada, expected_assignee_id=ada.pk)
    barrier = threading.Barrier(2, timeout=TIMEOUT)

    def amending(physician, kind):
        def action():
            decision = Decision.objects.get(pk=first.pk)
            barrier.wait()
            return reviews.review_amend(
                decision=decision,
                screening_id=intake.latest_screening_id,
                kind=kind,
                physician=physician,
                reason="Changed my mind.",
            )

        return action

    workers = [
        Worker(amending(ada, DecisionKind.CONSERVATIVE)),
        Worker(amending(bo, DecisionKind.NOT_CANDIDATE)),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT)
        assert not worker.is_alive()
    errors = [w.error for w in workers if w.error is not None]
    results = [w.result for w in workers if w.error is None]
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], reviews.DecisionConflict)
    assert errors[0].decision == results[0]
    assert Decision.objects.filter(intake=intake).count() == 2
    assert Decision.objects.get(supersedes=first) == results[0]


def test_two_physicians_taking_a_case_at_once_one_gets_it(default_set):
    ada = PhysicianFactory(first_name="Ada", last_name="Lovelace")
    bo = PhysicianFactory(first_name="Bo", last_name="Baker")
    intake = submitted_intake(outcome="candidate")
    barrier = threading.Barrier(2, timeout=TIMEOUT)

    def taking(physician):
        def action():
            from intake.models import Intake

            copy = Intake.objects.get(pk=intake.pk)
            barrier.wait()
            return reviews.review_take(intake=copy, physician=physician)

        return action

    workers = [Worker(taking(ada)), Worker(taking(bo))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT)
        assert not worker.is_alive()
    errors = [w.error for w in workers if w.error is not None]
    assert len(errors) == 1 and isinstance(errors[0], reviews.AssignmentConflict)
    winner = next(w.result for w in workers if w.error is None)
    intake.refresh_from_db()
    assert intake.assigned_to_id == winner.assigned_to_id
