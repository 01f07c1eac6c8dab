"""The review services' conflict policy: every refusal carries the message the page shows and
where the physician's entry goes (``offer``), so the decide and amend views map it in one place
and nothing typed is lost."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from intake.models import DecisionKind, IntakeStatus, ScreeningKind
from intake.services import reviews
from intake.services.reviews import EntryOffer
from tests.factories import IntakeFactory, PhysicianFactory
from tests.intake.review.factories import rescreen, submitted_intake

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ada():
    return PhysicianFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def bo():
    return PhysicianFactory(first_name="Bo", last_name="Baker")


def decide(intake, physician, kind=DecisionKind.PROCEED, *, screening_id=None, **kwargs):
    return reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id if screening_id is None else screening_id,
        kind=kind,
        physician=physician,
        **kwargs,
    )


def amend(decision, physician, *, screening_id, kind=DecisionKind.CONSERVATIVE):
    return reviews.review_amend(
        decision=decision,
        screening_id=screening_id,
        kind=kind,
        physician=physician,
        reason="The MRI changes the picture.",
    )


def refusal(call) -> reviews.ReviewConflict:
    with pytest.raises(reviews.ReviewConflict) as caught:
        call()
    return caught.value


# ------------------------------------------------------------------------------------------
# Deciding


def test_a_decision_after_another_is_offered_as_an_amendment(default_set, ada, bo):
    intake = submitted_intake(outcome="candidate")
    first = decide(intake, ada)
    conflict = refusal(lambda: decide(intake, bo, DecisionKind.CONSERVATIVE, reason="Mild."))
    assert type(conflict) is reviews.DecisionConflict
    assert (conflict.offer, conflict.decision) == (EntryOffer.AMENDMENT, first)
    assert conflict.message.startswith("Ada Lovelace already recorded “Proceed to procedure”")


def test_a_decision_on_a_screening_replaced_meanwhile_is_offered_as_a_new_decision(
    default_set, ada
):
    intake = submitted_intake(outcome="candidate")
    seen = intake.latest_screening_id
    newer = rescreen(intake, pain_nrs=3)
    conflict = refusal(lambda: decide(intake, ada, screening_id=seen))
    assert type(conflict) is reviews.StaleScreening
    assert (conflict.offer, conflict.screening) == (EntryOffer.DECISION, newer)


def test_a_decision_on_a_case_another_physician_has_is_kept_as_sent(default_set, ada, bo):
    intake = submitted_intake(outcome="candidate")
    reviews.review_take(intake=intake, physician=ada)
    conflict = refusal(lambda: decide(intake, bo))
    assert type(conflict) is reviews.CaseHeldByAnother
    assert conflict.offer == EntryOffer.AS_SENT


def test_a_decision_before_the_emergency_action_is_recorded_is_kept_for_later(default_set, ada):
    intake = submitted_intake(outcome="emergency")
    conflict = refusal(
        lambda: decide(intake, ada, DecisionKind.REFER, refer_to="Emergency department")
    )
    assert type(conflict) is reviews.EmergencyNotHandled
    assert conflict.offer == EntryOffer.DECISION


def test_a_decision_on_an_intake_not_in_review_has_nothing_to_offer(default_set, ada):
    draft = IntakeFactory()
    conflict = refusal(lambda: decide(draft, ada, screening_id=0))
    assert type(conflict) is reviews.ReviewConflict
    assert conflict.offer == EntryOffer.NOTHING


# ------------------------------------------------------------------------------------------
# Amending and planning


def test_an_amendment_of_a_decision_already_amended_is_offered_as_an_amendment(default_set, ada):
    intake = submitted_intake(outcome="candidate")
    first = decide(intake, ada)
    amend(first, ada, screening_id=intake.latest_screening_id)
    conflict = refusal(lambda: amend(first, ada, screening_id=intake.latest_screening_id))
    assert type(conflict) is reviews.DecisionConflict
    assert conflict.offer == EntryOffer.AMENDMENT


def test_an_amendment_after_the_desk_resubmitted_is_offered_as_a_new_decision(default_set, ada):
    intake = submitted_intake(outcome="candidate")
    first = decide(intake, ada)
    newer = rescreen(intake, pain_nrs=3, status=IntakeStatus.SUBMITTED)
    conflict = refusal(lambda: amend(first, ada, screening_id=newer.pk))
    assert type(conflict) is reviews.ReviewConflict
    assert conflict.offer == EntryOffer.DECISION
    assert conflict.message.startswith("The front desk resubmitted this case")


def test_an_amendment_on_a_screening_replaced_meanwhile_is_offered_as_an_amendment(
    default_set, ada
):
    intake = submitted_intake(outcome="candidate")
    seen = intake.latest_screening_id
    first = decide(intake, ada)
    rescreen(intake, kind=ScreeningKind.RESCREEN, status=IntakeStatus.DECIDED)
    conflict = refusal(lambda: amend(first, ada, screening_id=seen))
    assert type(conflict) is reviews.StaleScreening
    assert conflict.offer == EntryOffer.AMENDMENT


def test_planning_a_decision_no_longer_in_force_has_nothing_to_offer(default_set, ada):
    intake = submitted_intake(outcome="candidate")
    first = decide(intake, ada)
    amend(first, ada, screening_id=intake.latest_screening_id)
    conflict = refusal(
        lambda: reviews.review_plan_follow_up(
            decision=first, planned_procedure_date=datetime.date(2025, 4, 1), physician=ada
        )
    )
    assert type(conflict) is reviews.ReviewConflict
    assert conflict.offer == EntryOffer.NOTHING


# ------------------------------------------------------------------------------------------
# Through the page


def test_the_case_page_puts_a_refused_entry_back_where_the_service_offers_it(
    client, default_set, ada
):
    """A decision signed before the emergency action is recorded: 409, the service's message,
    and what was typed back in the decision form, on the latest screening."""
    intake = submitted_intake(outcome="emergency")
    client.force_login(ada)
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {
            "kind": "not_candidate",
            "reason": "Sent to the ED by the on-call team.",
            "screening": intake.latest_screening_id,
        },
    )
    assert response.status_code == 409
    assert "nobody has recorded the action taken yet" in response.content.decode()
    assert (
        "Nothing was saved. What you entered is kept in the form below: check it against the "
        "case as it is now, then sign." in response.content.decode()
    )
    kept = response.context["decide_form"]
    assert (kept.initial["kind"], kept.initial["reason"], kept.initial["screening"]) == (
        "not_candidate",
        "Sent to the ED by the on-call team.",
        intake.latest_screening_id,
    )
    assert intake.decisions.count() == 0
