"""A case another physician has is decided, amended or planned only after an explicit take-over,
which the audit log records; an unassigned case is decided directly and given to the decider."""

from __future__ import annotations

import datetime
import html
import threading
import time

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.urls import reverse

from intake.models import AuditEvent, Decision, DecisionKind, Intake, IntakeStatus
from intake.services import reviews
from tests.factories import FrontDeskFactory, PhysicianFactory
from tests.intake.review.factories import submitted_intake

NOW = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)
TAKEN_AT = datetime.datetime(2025, 3, 19, 16, 30, tzinfo=datetime.UTC)
TIMEOUT = 10  # seconds; a deadlock fails a race test instead of hanging it


@pytest.fixture
def ada():
    return PhysicianFactory(username="ada", first_name="Ada", last_name="Lovelace")


@pytest.fixture
def bo():
    return PhysicianFactory(username="bo", first_name="Bo", last_name="Baker")


def held_by(physician, *, outcome: str = "candidate") -> Intake:
    """A submitted case that ``physician`` took at TAKEN_AT."""
    intake = submitted_intake(outcome=outcome)
    with time_machine.travel(TAKEN_AT, tick=False):
        reviews.review_take(intake=intake, physician=physician)
    intake.refresh_from_db()
    return intake


def decide(intake: Intake, physician, kind=DecisionKind.PROCEED, **kwargs) -> Decision:
    return reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=kind,
        physician=physician,
        **kwargs,
    )


def assignment_events():
    """(user, patient, object, changes, detail) of every recorded change of holder, in order."""
    return [
        (e.username, e.patient_id, e.object_type, e.object_id, e.changes, e.detail)
        for e in AuditEvent.objects.filter(action="change", part="assignment").order_by("id")
    ]


def text(response) -> str:
    return html.unescape(response.content.decode())


# ------------------------------------------------------------------------------------------
# The rule, in the services


@pytest.mark.django_db
def test_deciding_a_case_another_physician_has_is_refused_naming_them(default_set, ada, bo):
    intake = held_by(ada)
    with time_machine.travel(NOW, tick=False), pytest.raises(reviews.CaseHeldByAnother) as refused:
        decide(intake, bo)
    assert refused.value.message == (
        "Ada Lovelace has this case since 16:30 on 19 Mar 2025; take it over to decide. "
        "Nothing was saved."
    )
    intake.refresh_from_db()
    assert (intake.status, intake.assigned_to, intake.assigned_at) == (
        IntakeStatus.SUBMITTED,
        ada,
        TAKEN_AT,
    )
    assert Decision.objects.filter(intake=intake).count() == 0
    assert assignment_events() == []


@pytest.mark.django_db
def test_amending_a_decision_on_another_physicians_case_is_refused(default_set, ada, bo):
    intake = held_by(ada)
    first = decide(intake, ada)
    with pytest.raises(reviews.CaseHeldByAnother) as refused:
        reviews.review_amend(
            decision=first,
            screening_id=intake.latest_screening_id,
            kind=DecisionKind.CONSERVATIVE,
            physician=bo,
            reason="Improving.",
        )
    assert refused.value.message == (
        "Ada Lovelace has this case since 16:30 on 19 Mar 2025; take it over to amend its "
        "decision. Nothing was saved."
    )
    assert list(Decision.objects.filter(intake=intake)) == [first]


@pytest.mark.django_db
def test_planning_the_procedure_on_another_physicians_case_is_refused(default_set, ada, bo):
    intake = held_by(ada)
    with time_machine.travel(NOW, tick=False):
        first = decide(intake, ada)
        with pytest.raises(reviews.CaseHeldByAnother) as refused:
            reviews.review_plan_follow_up(
                decision=first, planned_procedure_date=datetime.date(2025, 4, 2), physician=bo
            )
    assert refused.value.message == (
        "Ada Lovelace has this case since 16:30 on 19 Mar 2025; take it over to plan its "
        "follow-up. Nothing was saved."
    )
    first.refresh_from_db()
    assert (first.planned_procedure_date, first.planned_date_set_by) == (None, None)


@pytest.mark.django_db
def test_the_holder_decides_without_any_change_of_holder(default_set, ada):
    intake = held_by(ada)
    decision = decide(intake, ada)
    assert decision.physician == ada
    intake.refresh_from_db()
    assert (intake.assigned_to, intake.assigned_at) == (ada, TAKEN_AT)
    assert assignment_events() == []


@pytest.mark.django_db
def test_an_unassigned_case_is_decided_directly_and_given_to_the_decider(default_set, bo):
    intake = submitted_intake(outcome="candidate")
    with time_machine.travel(NOW, tick=False):
        decision = decide(intake, bo)
    intake.refresh_from_db()
    assert (decision.physician, intake.assigned_to, intake.assigned_at) == (bo, bo, NOW)
    assert assignment_events() == [
        (
            "bo",
            intake.patient_id,
            "intake.intake",
            str(intake.pk),
            {"assigned_to": [None, "bo"]},
            "assigned to the physician who signed",
        )
    ]


@pytest.mark.django_db
def test_taking_over_gives_the_case_to_the_physician_and_records_it(default_set, ada, bo):
    intake = held_by(ada)
    with time_machine.travel(NOW, tick=False):
        reviews.review_take_over(intake=intake, physician=bo, expected_holder_id=ada.pk)
    intake.refresh_from_db()
    assert (intake.assigned_to, intake.assigned_at) == (bo, NOW)
    event = AuditEvent.objects.get(action="change", part="assignment")
    assert (
        event.at,
        event.user,
        event.username,
        event.role,
        event.outcome,
        event.patient_id,
        event.object_type,
        event.object_id,
        event.changes,
        event.detail,
    ) == (
        NOW,
        bo,
        "bo",
        "Physician",
        "ok",
        intake.patient_id,
        "intake.intake",
        str(intake.pk),
        {"assigned_to": ["ada", "bo"]},
        "taken over",
    )
    decision = decide(intake, bo, DecisionKind.NOT_CANDIDATE, reason="Too frail.")
    assert decision.physician == bo


@pytest.mark.django_db
def test_a_take_over_from_a_page_showing_an_earlier_holder_is_refused(default_set, ada, bo):
    carol = PhysicianFactory(username="carol", first_name="Carol", last_name="Chen")
    intake = held_by(ada)
    reviews.review_take_over(intake=intake, physician=carol, expected_holder_id=ada.pk)
    with pytest.raises(reviews.AssignmentConflict) as refused:
        reviews.review_take_over(intake=intake, physician=bo, expected_holder_id=ada.pk)
    assert refused.value.message.startswith("Carol Chen has this case since ")
    assert refused.value.message.endswith(" It was not taken over; check and try again.")
    intake.refresh_from_db()
    assert intake.assigned_to == carol
    assert [e[4] for e in assignment_events()] == [{"assigned_to": ["ada", "carol"]}]


@pytest.mark.django_db
def test_taking_over_ones_own_case_changes_and_records_nothing(default_set, ada):
    intake = held_by(ada)
    reviews.review_take_over(intake=intake, physician=ada, expected_holder_id=ada.pk)
    intake.refresh_from_db()
    assert (intake.assigned_to, intake.assigned_at) == (ada, TAKEN_AT)
    assert assignment_events() == []


@pytest.mark.django_db
def test_only_physicians_take_over(default_set, ada):
    intake = held_by(ada)
    with pytest.raises(PermissionDenied):
        reviews.review_take_over(
            intake=intake, physician=FrontDeskFactory(), expected_holder_id=ada.pk
        )
    intake.refresh_from_db()
    assert intake.assigned_to == ada


# ------------------------------------------------------------------------------------------
# The case view


@pytest.mark.django_db
def test_the_case_of_another_physician_offers_take_over_instead_of_deciding(
    client, default_set, ada, bo
):
    intake = held_by(ada)
    client.force_login(bo)
    page = client.get(reverse("review:case", args=[intake.pk]))
    assert page.status_code == 200
    assert page.context["decide_form"] is None
    assert page.context["take_over_form"].initial == {"expected_holder": ada.pk}
    body = text(page)
    assert "take it over to decide, amend or plan it (recorded)" in body
    assert reverse("review:take-over", args=[intake.pk]) in body
    assert reverse("review:decide", args=[intake.pk]) not in body

    taken = client.post(
        reverse("review:take-over", args=[intake.pk]), {"expected_holder": ada.pk}, follow=True
    )
    assert taken.redirect_chain == [(reverse("review:case", args=[intake.pk]), 302)]
    patient = intake.patient
    assert (
        f"You have taken over the case of {patient.last_name}, {patient.first_name} "
        f"(MRN {patient.mrn}) from Ada Lovelace. The change is recorded."
    ) in text(taken)
    assert taken.context["decide_form"] is not None
    assert reverse("review:take-over", args=[intake.pk]) not in text(taken)
    event = AuditEvent.objects.get(action="change", part="assignment")
    assert (event.username, event.changes, event.source_address) == (
        "bo",
        {"assigned_to": ["ada", "bo"]},
        "127.0.0.1",
    )


@pytest.mark.django_db
def test_signing_another_physicians_case_is_refused_keeping_what_was_typed(
    client, default_set, ada, bo
):
    intake = held_by(ada)
    client.force_login(bo)
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {
            "kind": "not_candidate",
            "reason": "Prone position impossible.",
            "screening": intake.latest_screening_id,
        },
    )
    assert response.status_code == 409
    body = text(response)
    assert "Ada Lovelace has this case since 16:30 on 19 Mar 2025; take it over to decide." in body
    assert "Prone position impossible." in body
    assert Decision.objects.filter(intake=intake).count() == 0
    intake.refresh_from_db()
    assert intake.assigned_to == ada


@pytest.mark.django_db
def test_a_stale_take_over_says_who_has_the_case_now(client, default_set, ada, bo):
    carol = PhysicianFactory(username="carol", first_name="Carol", last_name="Chen")
    intake = held_by(ada)
    reviews.review_take_over(intake=intake, physician=carol, expected_holder_id=ada.pk)
    client.force_login(bo)
    response = client.post(
        reverse("review:take-over", args=[intake.pk]), {"expected_holder": ada.pk}, follow=True
    )
    assert "Carol Chen has this case since" in text(response)
    assert "It was not taken over; check and try again." in text(response)
    intake.refresh_from_db()
    assert intake.assigned_to == carol
    recorded = AuditEvent.objects.filter(part="assignment").order_by("id")
    assert [(e.username, e.outcome, e.changes) for e in recorded] == [
        ("carol", "ok", {"assigned_to": ["ada", "carol"]}),
        ("bo", "failed", {}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_front_desk_cannot_take_over(client, default_set, ada, method):
    intake = held_by(ada)
    client.force_login(FrontDeskFactory())
    response = getattr(client, method)(
        reverse("review:take-over", args=[intake.pk]), {"expected_holder": ada.pk}
    )
    assert response.status_code == 403
    intake.refresh_from_db()
    assert intake.assigned_to == ada


@pytest.mark.django_db
def test_a_draft_cannot_be_taken_over(client, default_set, bo):
    from tests.factories import IntakeFactory

    draft = IntakeFactory()
    client.force_login(bo)
    response = client.post(reverse("review:take-over", args=[draft.pk]), {"expected_holder": ""})
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.assigned_to is None


# ------------------------------------------------------------------------------------------
# Races (real concurrent transactions: PostgreSQL)


class Worker(threading.Thread):
    """Runs ``action`` on its own database connection, keeping its result or exception."""

    def __init__(self, action) -> None:
        super().__init__(daemon=True)
        self.action = action
        self.result = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.action()
        except BaseException as exc:  # reported to the test thread
            self.error = exc
        finally:
            connection.close()


def run_together(*actions):
    barrier = threading.Barrier(len(actions), timeout=TIMEOUT)

    def started(action):
        def run():
            barrier.wait()
            return action()

        return run

    workers = [Worker(started(action)) for action in actions]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT)
        assert not worker.is_alive()
    return workers


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_two_physicians_taking_over_at_once_one_gets_the_case(default_set, ada, bo):
    carol = PhysicianFactory(username="carol", first_name="Carol", last_name="Chen")
    intake = held_by(ada)

    def taking_over(physician):
        return lambda: reviews.review_take_over(
            intake=Intake.objects.get(pk=intake.pk), physician=physician, expected_holder_id=ada.pk
        )

    workers = run_together(taking_over(bo), taking_over(carol))
    errors = [w.error for w in workers if w.error is not None]
    assert len(errors) == 1 and isinstance(errors[0], reviews.AssignmentConflict)
    winner = next(w.result for w in workers if w.error is None).assigned_to
    intake.refresh_from_db()
    assert intake.assigned_to == winner
    assert [e[4] for e in assignment_events()] == [{"assigned_to": ["ada", winner.username]}]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_a_decision_waits_for_a_take_over_in_progress_then_is_refused(default_set, ada, bo):
    """Bo's take-over holds the row lock; Ada's decision waits for it (it does not read the
    holder before the lock) and is refused once Bo has the case."""
    intake = held_by(ada)
    taken = threading.Event()
    release = threading.Event()

    def take_over():
        with transaction.atomic():
            reviews.review_take_over(
                intake=Intake.objects.get(pk=intake.pk), physician=bo, expected_holder_id=ada.pk
            )
            taken.set()
            assert release.wait(TIMEOUT)

    first = Worker(take_over)
    first.start()
    assert taken.wait(TIMEOUT)
    second = Worker(lambda: decide(Intake.objects.get(pk=intake.pk), ada))
    second.start()
    time.sleep(0.5)
    assert second.is_alive(), "the decision must wait for the take-over's row lock"
    release.set()
    first.join(TIMEOUT)
    second.join(TIMEOUT)
    assert not first.is_alive() and not second.is_alive()
    assert first.error is None
    assert isinstance(second.error, reviews.CaseHeldByAnother)
    assert second.error.message.startswith("Bo Baker has this case since ")
    assert Decision.objects.filter(intake=intake).count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_taking_over_and_deciding_at_once_never_signs_for_a_case_one_does_not_hold(
    default_set, ada, bo
):
    """Whichever runs first, a decision is signed only by the physician holding the case."""
    intake = held_by(ada)
    workers = run_together(
        lambda: reviews.review_take_over(
            intake=Intake.objects.get(pk=intake.pk), physician=bo, expected_holder_id=ada.pk
        ),
        lambda: decide(Intake.objects.get(pk=intake.pk), ada),
    )
    take_over, deciding = workers
    assert take_over.error is None  # a take-over is never refused by a decision
    intake.refresh_from_db()
    assert intake.assigned_to == bo
    decisions = list(Decision.objects.filter(intake=intake))
    if deciding.error is None:  # Ada signed while she still held the case
        assert [d.physician for d in decisions] == [ada]
    else:
        assert isinstance(deciding.error, reviews.CaseHeldByAnother)
        assert decisions == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_two_physicians_deciding_an_unassigned_case_at_once_give_it_to_the_winner(
    default_set, ada, bo
):
    intake = submitted_intake(outcome="candidate")
    workers = run_together(
        lambda: decide(Intake.objects.get(pk=intake.pk), ada),
        lambda: decide(
            Intake.objects.get(pk=intake.pk), bo, DecisionKind.NOT_CANDIDATE, reason="Frail."
        ),
    )
    errors = [w.error for w in workers if w.error is not None]
    assert len(errors) == 1 and isinstance(errors[0], reviews.DecisionConflict)
    signed = next(w.result for w in workers if w.error is None)
    intake.refresh_from_db()
    assert intake.assigned_to == signed.physician
    assert [e[4] for e in assignment_events()] == [
        {"assigned_to": [None, signed.physician.username]}
    ]
