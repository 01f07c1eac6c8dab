"""Signed decisions: the reason rule, statuses, immutability, amendments, conflicts, roles."""

from __future__ import annotations

import datetime
import html

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from intake import decision_rules
from intake.models import Decision, DecisionKind, ImmutableDecisionError, IntakeStatus
from intake.services import reviews
from tests.factories import FrontDeskFactory, PhysicianFactory
from tests.intake.review.factories import rescreen, submitted_intake

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def doc():
    return PhysicianFactory(first_name="Ada", last_name="Lovelace")


def text(response) -> str:
    """The page as a reader sees it (entities decoded)."""
    return html.unescape(response.content.decode())


def decide(intake, physician, kind, **kwargs):
    return reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=kind,
        physician=physician,
        **kwargs,
    )


# ------------------------------------------------------------------------------------------
# The reason rule

SUGGESTED = {
    ("candidate", "proceed"),
    ("candidate_with_cautions", "proceed"),
    ("conservative", "conservative"),
    ("urgent", "refer"),
    ("needs_info", "request_info"),
}
OUTCOMES = [
    "urgent",
    "contraindicated",
    "needs_info",
    "conservative",
    "candidate_with_cautions",
    "candidate",
]


@pytest.mark.parametrize("kind", DecisionKind.values)
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_a_reason_is_required_unless_the_decision_matches_the_suggestion(
    default_set, doc, outcome, kind
):
    intake = submitted_intake(outcome=outcome)
    assert intake.outcome == outcome
    if (outcome, kind) in SUGGESTED:
        decision = decide(intake, doc, kind, refer_to="Spine surgery")
        assert decision.reason == ""
    else:
        with pytest.raises(ValidationError) as refused:
            decide(intake, doc, kind, refer_to="Spine surgery")
        assert list(refused.value.message_dict) == ["reason"]
        assert not Decision.objects.filter(intake=intake).exists()
        decision = decide(intake, doc, kind, refer_to="Spine surgery", reason="Clinical judgement.")
        assert decision.reason == "Clinical judgement."


def test_proceeding_despite_the_cement_allergy_needs_a_reason(default_set, doc):
    intake = submitted_intake(outcome="contraindicated")
    with pytest.raises(ValidationError) as refused:
        decide(intake, doc, DecisionKind.PROCEED, reason="   ")  # blank counts as none
    assert refused.value.message_dict["reason"] == [
        "Reason is required: “Proceed to procedure” differs from the screener's suggestion "
        "for “Possible contraindication”."
    ]
    decision = decide(
        intake, doc, DecisionKind.PROCEED, reason="Allergist confirmed a tolerated cement."
    )
    assert decision.kind == "proceed"
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.DECIDED


def test_refer_needs_the_service_and_other_kinds_drop_it(default_set, doc):
    intake = submitted_intake(outcome="urgent")
    with pytest.raises(ValidationError) as refused:
        decide(intake, doc, DecisionKind.REFER)
    assert refused.value.message_dict == {
        "refer_to": ["Refer to: name the service (for example spine surgery)."]
    }
    other = submitted_intake(outcome="candidate")
    decision = decide(other, doc, DecisionKind.PROCEED, refer_to="Oncology")
    assert decision.refer_to == ""


def test_the_reason_rule_table():
    assert decision_rules.reason_required(kind="proceed", outcome="candidate") is False
    assert (
        decision_rules.reason_required(kind="proceed", outcome="candidate_with_cautions") is False
    )
    assert decision_rules.reason_required(kind="conservative", outcome="conservative") is False
    assert decision_rules.reason_required(kind="refer", outcome="urgent") is False
    assert decision_rules.reason_required(kind="request_info", outcome="needs_info") is False
    assert decision_rules.reason_required(kind="not_candidate", outcome="contraindicated") is True
    assert decision_rules.reason_required(kind="proceed", outcome="contraindicated") is True
    assert decision_rules.reason_required(kind="refer", outcome="candidate") is True


# ------------------------------------------------------------------------------------------
# Statuses and signing


def test_signing_records_the_physician_and_the_time(default_set, doc, frozen):
    intake = submitted_intake(outcome="candidate")
    decision = decide(intake, doc, DecisionKind.PROCEED)
    decision.refresh_from_db()
    assert (decision.physician, decision.signed_at) == (doc, NOW)
    assert decision.screening_id == intake.latest_screening_id
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.DECIDED


def test_request_information_sends_the_case_back_with_the_note(default_set, doc):
    intake = submitted_intake(outcome="needs_info")
    decision = decide(
        intake, doc, DecisionKind.REQUEST_INFO, reason="Please ask for the pain score."
    )
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.INFO_REQUESTED
    assert decision.reason == "Please ask for the pain score."


def test_after_resubmission_a_new_decision_is_due_and_the_old_one_stays(default_set, doc):
    intake = submitted_intake(outcome="needs_info")
    first = decide(intake, doc, DecisionKind.REQUEST_INFO)
    rescreen(intake, pain_nrs=8)  # the front desk adds the answer and resubmits
    assert intake.outcome == "candidate"
    second = decide(intake, doc, DecisionKind.PROCEED)
    assert second.supersedes is None
    assert list(Decision.objects.filter(intake=intake)) == [first, second]
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.DECIDED


# ------------------------------------------------------------------------------------------
# Immutability


def test_a_signed_decision_cannot_be_changed_or_deleted(default_set, doc):
    intake = submitted_intake(outcome="candidate")
    decision = decide(intake, doc, DecisionKind.PROCEED, reason="Typical case.")
    decision.reason = "Rewritten later."
    with pytest.raises(ImmutableDecisionError):
        decision.save()
    with pytest.raises(ImmutableDecisionError):
        Decision.objects.filter(pk=decision.pk).update(kind=DecisionKind.NOT_CANDIDATE)
    with pytest.raises(ImmutableDecisionError):
        decision.delete()
    with pytest.raises(ImmutableDecisionError):
        Decision.objects.filter(pk=decision.pk).delete()
    stored = Decision.objects.get(pk=decision.pk)
    assert (stored.kind, stored.reason) == ("proceed", "Typical case.")


def test_an_amendment_without_a_reason_is_refused_by_the_database(default_set, doc):
    intake = submitted_intake(outcome="candidate")
    first = decide(intake, doc, DecisionKind.PROCEED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(
            intake=intake,
            screening=first.screening,
            kind=DecisionKind.CONSERVATIVE,
            physician=doc,
            signed_at=NOW,
            supersedes=first,
        )


# ------------------------------------------------------------------------------------------
# Amendments


def amend(decision, physician, kind, **kwargs):
    return reviews.review_amend(
        decision=decision,
        screening_id=decision.intake.latest_screening_id,
        kind=kind,
        physician=physician,
        **kwargs,
    )


def test_an_amendment_supersedes_and_both_stay_on_record(client, default_set, doc):
    intake = submitted_intake(outcome="candidate")
    first = decide(intake, doc, DecisionKind.PROCEED)
    second = amend(
        first, doc, DecisionKind.CONSERVATIVE, reason="Pain settled at the clinic visit."
    )
    assert second.supersedes == first
    first.refresh_from_db()
    assert first.superseded_by == second
    assert (first.kind, first.reason) == ("proceed", "")  # untouched
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.DECIDED

    client.force_login(doc)
    page = client.get(reverse("review:case", args=[intake.pk])).content.decode()
    assert "Decisions on record (2)" in page
    assert "superseded by an amendment" in page
    assert "Pain settled at the clinic visit." in page
    items = client.get(reverse("review:case", args=[intake.pk])).context["case"].decisions
    assert [(i.decision, i.in_force) for i in items] == [(second, True), (first, False)]


def test_an_amendment_needs_a_reason_even_when_it_matches_the_suggestion(default_set, doc):
    intake = submitted_intake(outcome="candidate")
    first = decide(intake, doc, DecisionKind.NOT_CANDIDATE, reason="Frail.")
    with pytest.raises(ValidationError) as refused:
        amend(first, doc, DecisionKind.PROCEED, reason="")
    assert refused.value.message_dict == {
        "reason": ["Reason is required for an amendment: say why the decision changed."]
    }


def test_an_amendment_to_request_information_sends_the_case_back(default_set, doc):
    intake = submitted_intake(outcome="candidate")
    first = decide(intake, doc, DecisionKind.PROCEED)
    amend(first, doc, DecisionKind.REQUEST_INFO, reason="Need the MRI report itself.")
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.INFO_REQUESTED


def test_only_the_decision_in_force_can_be_amended(default_set, doc):
    other = PhysicianFactory(first_name="Bo", last_name="Baker")
    intake = submitted_intake(outcome="candidate")
    first = decide(intake, doc, DecisionKind.PROCEED)
    reviews.review_take_over(intake=intake, physician=other, expected_holder_id=doc.pk)
    second = amend(first, other, DecisionKind.CONSERVATIVE, reason="Improving.")
    with pytest.raises(reviews.DecisionConflict) as refused:
        amend(first, doc, DecisionKind.NOT_CANDIDATE, reason="Frail.")
    assert refused.value.decision == second
    assert "Bo Baker recorded “Conservative care”" in refused.value.message
    assert Decision.objects.filter(intake=intake).count() == 2


def test_no_amendment_once_the_front_desk_resubmitted(default_set, doc):
    intake = submitted_intake(outcome="needs_info")
    first = decide(intake, doc, DecisionKind.REQUEST_INFO)
    rescreen(intake, pain_nrs=8)
    with pytest.raises(reviews.ReviewConflict, match="record a new decision"):
        amend(first, doc, DecisionKind.PROCEED, reason="Score now given.")


# ------------------------------------------------------------------------------------------
# Conflicts (sequential; the concurrent ones are in test_concurrency.py)


def test_the_second_decision_is_refused_showing_the_first(default_set, doc, frozen):
    other = PhysicianFactory(first_name="Bo", last_name="Baker")
    intake = submitted_intake(outcome="candidate")
    stale_copy = type(intake).objects.get(pk=intake.pk)  # the second physician's page
    first = decide(intake, doc, DecisionKind.PROCEED)
    with pytest.raises(reviews.DecisionConflict) as refused:
        decide(stale_copy, other, DecisionKind.NOT_CANDIDATE, reason="Frail.")
    assert refused.value.decision == first
    assert refused.value.message == (
        "Ada Lovelace already recorded “Proceed to procedure” on this case at 09:00 on "
        "20 Mar 2025. Your decision was not saved."
    )
    assert list(Decision.objects.filter(intake=intake)) == [first]


def test_the_second_decision_on_the_page_says_its_entry_is_kept_as_an_amendment(
    client, default_set, doc, frozen
):
    """409: the first decision, "not saved", and where the typed entry went."""
    other = PhysicianFactory(first_name="Bo", last_name="Baker")
    intake = submitted_intake(outcome="candidate")
    decide(intake, doc, DecisionKind.PROCEED)
    client.force_login(other)
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {
            "kind": "not_candidate",
            "reason": "Too frail.",
            "screening": intake.latest_screening_id,
        },
    )
    assert response.status_code == 409
    assert (
        "Ada Lovelace already recorded “Proceed to procedure” on this case at 09:00 on "
        "20 Mar 2025. Your decision was not saved. What you entered is kept below as an "
        "amendment of that decision: sign it only if the decision should change."
    ) in text(response)
    assert response.context["amend_form"].initial["reason"] == "Too frail."
    assert Decision.objects.filter(intake=intake).count() == 1


def test_a_decision_on_an_outdated_screening_is_refused(default_set, doc):
    intake = submitted_intake(outcome="candidate")
    seen = intake.latest_screening_id
    rescreen(intake, cement_allergy=True)  # edited after the physician opened the case
    with pytest.raises(reviews.StaleScreening) as refused:
        reviews.review_decide(
            intake=intake, screening_id=seen, kind=DecisionKind.PROCEED, physician=doc
        )
    assert refused.value.screening.outcome == "contraindicated"
    assert not Decision.objects.filter(intake=intake).exists()


# ------------------------------------------------------------------------------------------
# Roles and the decide view


def test_front_desk_users_cannot_decide(client, default_set):
    desk = FrontDeskFactory()
    intake = submitted_intake(outcome="candidate")
    with pytest.raises(PermissionDenied):
        decide(intake, desk, DecisionKind.PROCEED)
    client.force_login(desk)
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {"kind": "proceed", "screening": intake.latest_screening_id},
    )
    assert response.status_code == 403
    assert client.get(reverse("review:case", args=[intake.pk])).status_code == 403
    assert not Decision.objects.exists()
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.SUBMITTED


def test_physicians_decide_through_the_case_page(client, default_set, doc, frozen):
    """The confirmation names the patient, what was signed, by whom and when."""
    intake = named_case("urgent")
    client.force_login(doc)
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {
            "kind": "refer",
            "refer_to": "Infectious diseases",
            "reason": "",
            "screening": intake.latest_screening_id,
        },
        follow=True,
    )
    assert response.redirect_chain == [
        (reverse("review:case", args=[intake.pk]) + "#decisions", 302)
    ]
    assert (
        "Decision signed for Hopper, Grace (MRN MRN-7731): Refer to Infectious diseases, by Ada "
        "Lovelace at 09:00 on 20 Mar 2025." in text(response)
    )
    decision = Decision.objects.get(intake=intake)
    assert (decision.kind, decision.refer_to, decision.physician) == (
        "refer",
        "Infectious diseases",
        doc,
    )
    assert response.context["decide_form"] is None  # decided: only amendment is offered
    assert response.context["amend_form"] is not None


def test_an_invalid_decision_keeps_what_was_typed_and_names_the_field(client, default_set, doc):
    intake = submitted_intake(outcome="candidate")
    client.force_login(doc)
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {
            "kind": "refer",
            "refer_to": "",
            "reason": "Second opinion wanted on the posterior wall.",
            "screening": intake.latest_screening_id,
        },
    )
    assert response.status_code == 400
    page = text(response)
    assert "Refer to: name the service (for example spine surgery)." in page
    assert "Second opinion wanted on the posterior wall." in page
    assert not Decision.objects.exists()


def test_a_decision_without_a_choice_or_from_a_broken_page_is_explained(client, default_set, doc):
    intake = submitted_intake(outcome="candidate")
    client.force_login(doc)
    url = reverse("review:decide", args=[intake.pk])
    response = client.post(url, {"reason": "Kept text.", "screening": intake.latest_screening_id})
    assert response.status_code == 400
    assert "Decision: choose one." in text(response)
    assert "Kept text." in text(response)
    response = client.post(url, {"kind": "proceed", "screening": "not-a-number"})
    assert response.status_code == 400
    assert "This page is out of date: reload the case and decide again." in text(response)
    assert not Decision.objects.exists()


def test_a_conflicting_decision_shows_the_first_and_keeps_the_second_as_an_amendment(
    client, default_set, doc, frozen
):
    other = PhysicianFactory(first_name="Bo", last_name="Baker")
    intake = submitted_intake(outcome="candidate")
    screening_id = intake.latest_screening_id
    decide(intake, other, DecisionKind.PROCEED)
    client.force_login(doc)
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {
            "kind": "not_candidate",
            "reason": "Too frail for prone positioning.",
            "screening": screening_id,
        },
    )
    assert response.status_code == 409
    page = text(response)
    assert "Bo Baker already recorded “Proceed to procedure” on this case" in page
    assert "Too frail for prone positioning." in page  # kept, in the amendment form
    assert response.context["amend_form"].initial["kind"] == "not_candidate"
    assert Decision.objects.filter(intake=intake).count() == 1


def test_a_decision_on_an_outdated_screening_is_shown_the_new_one(client, default_set, doc):
    intake = submitted_intake(outcome="candidate")
    seen = intake.latest_screening_id
    new = rescreen(intake, cement_allergy=True)
    client.force_login(doc)
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {"kind": "proceed", "reason": "Looks fine.", "screening": seen},
    )
    assert response.status_code == 409
    assert "This case was screened again after you opened it" in text(response)
    form = response.context["decide_form"]
    assert form.initial["screening"] == new.pk
    assert form.initial["reason"] == "Looks fine."
    assert not Decision.objects.exists()


def test_physicians_amend_through_the_case_page(client, default_set, doc):
    intake = submitted_intake(outcome="candidate")
    first = decide(intake, doc, DecisionKind.PROCEED)
    client.force_login(doc)
    url = reverse("review:amend", args=[intake.pk, first.pk])
    missing_reason = client.post(
        url,
        {"amend-kind": "conservative", "amend-reason": "", "amend-screening": first.screening_id},
    )
    assert missing_reason.status_code == 400
    assert "Reason is required for an amendment" in text(missing_reason)
    response = client.post(
        url,
        {
            "amend-kind": "conservative",
            "amend-reason": "Improving on physiotherapy.",
            "amend-screening": first.screening_id,
        },
    )
    assert response.status_code == 302
    assert Decision.objects.get(supersedes=first).reason == "Improving on physiotherapy."


def test_a_conflicting_amendment_keeps_what_was_typed(client, default_set, doc):
    other = PhysicianFactory(first_name="Bo", last_name="Baker")
    intake = submitted_intake(outcome="candidate")
    first = decide(intake, doc, DecisionKind.PROCEED)
    reviews.review_take_over(intake=intake, physician=other, expected_holder_id=doc.pk)
    amend(first, other, DecisionKind.CONSERVATIVE, reason="Improving.")
    client.force_login(doc)
    response = client.post(
        reverse("review:amend", args=[intake.pk, first.pk]),
        {
            "amend-kind": "not_candidate",
            "amend-reason": "Prone position impossible.",
            "amend-screening": first.screening_id,
        },
    )
    assert response.status_code == 409
    page = text(response)
    assert "Bo Baker recorded “Conservative care”" in page
    assert (
        "Your amendment was not saved. What you entered is kept below as an amendment of that "
        "decision: sign it only if the decision should change."
    ) in page
    assert response.context["amend_form"].initial["reason"] == "Prone position impossible."
    assert "Prone position impossible." in page
    assert Decision.objects.filter(intake=intake).count() == 2


def test_a_decision_of_another_intake_cannot_be_amended_here(client, default_set, doc):
    intake = submitted_intake(outcome="candidate")
    other = submitted_intake(outcome="candidate")
    foreign = decide(other, doc, DecisionKind.PROCEED)
    decide(intake, doc, DecisionKind.PROCEED)
    client.force_login(doc)
    response = client.post(
        reverse("review:amend", args=[intake.pk, foreign.pk]),
        {"amend-kind": "conservative", "amend-reason": "x", "amend-screening": 1},
    )
    assert response.status_code == 404


# ------------------------------------------------------------------------------------------
# The technique: chosen with "proceed", the codes follow it


def test_proceeding_with_a_technique_codes_it_on_the_case_and_the_billing_panel(
    client, default_set, doc, frozen
):
    intake = submitted_intake(outcome="candidate", assigned_to=doc)
    client.force_login(doc)
    case = text(client.get(reverse("review:case", args=[intake.pk])))
    assert "Technique" in case and "Kyphoplasty" in case  # offered with the decision
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {"kind": "proceed", "technique": "kyphoplasty", "screening": intake.latest_screening_id},
    )
    assert response.status_code == 302, text(response)[:600]
    decision = Decision.objects.get(intake=intake)
    assert decision.technique == "kyphoplasty"
    stored = intake.latest_screening.suggested_codes  # the first technique's, as screened
    case = text(client.get(reverse("review:case", args=[intake.pk])))
    assert f"{DecisionKind.PROCEED.label}: Kyphoplasty" in case  # on the decision signed
    kypho = [
        code.replace("22510", "22513").replace("22511", "22514").replace("22512", "22515")
        for code in stored
    ]
    assert ", ".join(kypho) in case
    assert "(Kyphoplasty; provisional until the physician confirms the levels)" in case
    client.force_login(FrontDeskFactory())
    result = text(client.get(f"/intakes/{intake.pk}/"))
    assert "Kyphoplasty; provisional until the physician confirms the levels." in result


def test_an_unknown_technique_is_refused_naming_the_field(client, default_set, doc, frozen):
    intake = submitted_intake(outcome="candidate", assigned_to=doc)
    client.force_login(doc)
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {"kind": "proceed", "technique": "laser", "screening": intake.latest_screening_id},
    )
    assert response.status_code == 400
    assert "Select a valid choice. laser is not one of the available choices." in text(response)
    assert not Decision.objects.filter(intake=intake).exists()
    with pytest.raises(ValidationError) as excinfo:
        decide(intake, doc, DecisionKind.PROCEED, technique="laser")
    assert excinfo.value.message_dict["technique"] == [
        "Technique: choose one (Vertebroplasty, Kyphoplasty); the codes follow it."
    ]


def test_a_decision_other_than_proceed_records_no_technique(default_set, doc, frozen):
    intake = submitted_intake(outcome="candidate", assigned_to=doc)
    decision = decide(
        intake, doc, DecisionKind.CONSERVATIVE, reason="Try a brace first.", technique="kyphoplasty"
    )
    assert decision.technique == ""
    proceed = decide(submitted_intake(outcome="candidate", assigned_to=doc), doc, "proceed")
    assert proceed.technique == "vertebroplasty"  # none chosen: the suggested codes' technique


# ------------------------------------------------------------------------------------------
# Taking the case is part of deciding


def named_case(outcome: str = "candidate"):
    return submitted_intake(
        outcome=outcome,
        patient__last_name="Hopper",
        patient__first_name="Grace",
        patient__mrn="MRN-7731",
    )


def test_a_case_nobody_holds_is_taken_by_signing_and_the_button_says_so(
    client, default_set, doc, frozen
):
    """The page offers "Take the case and sign"; signing gives the case to the physician."""
    intake = named_case()
    client.force_login(doc)
    page = text(client.get(reverse("review:case", args=[intake.pk])))
    assert "Signing a decision takes it too." in page
    assert "Nobody has taken this case: signing takes it, and it is recorded as yours." in page
    assert ">Take the case and sign</button>" in page
    assert ">Sign decision</button>" not in page
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {"kind": "proceed", "reason": "", "screening": intake.latest_screening_id},
        follow=True,
    )
    assert (
        "Decision signed for Hopper, Grace (MRN MRN-7731): Proceed to procedure, by Ada "
        "Lovelace at 09:00 on 20 Mar 2025. The case is now yours: nobody had taken it before "
        "you signed."
    ) in text(response)
    assert "<strong>You</strong> have this case since 20 Mar 2025" in text(response)
    intake.refresh_from_db()
    assert intake.assigned_to == doc


def test_a_case_one_holds_is_signed_without_a_take(client, default_set, doc, frozen):
    """Once taken, the button is plain "Sign decision" and the message claims no take."""
    intake = named_case()
    reviews.review_take(intake=intake, physician=doc)
    client.force_login(doc)
    page = text(client.get(reverse("review:case", args=[intake.pk])))
    assert ">Sign decision</button>" in page
    assert "Take the case and sign" not in page
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {"kind": "proceed", "reason": "", "screening": intake.latest_screening_id},
        follow=True,
    )
    assert (
        "Decision signed for Hopper, Grace (MRN MRN-7731): Proceed to procedure, by Ada Lovelace"
    ) in text(response)
    assert "is now yours" not in text(response)


def test_an_amendment_of_a_released_case_takes_it_and_says_so(client, default_set, doc):
    """A decided case released to nobody: the amendment button takes it, named by patient."""
    intake = named_case()
    first = decide(intake, doc, DecisionKind.PROCEED)
    reviews.review_assign(intake=intake, assignee=None, by=doc, expected_assignee_id=doc.pk)
    client.force_login(doc)
    page = text(client.get(reverse("review:case", args=[intake.pk])))
    assert ">Take the case and sign the amendment</button>" in page
    response = client.post(
        reverse("review:amend", args=[intake.pk, first.pk]),
        {
            "amend-kind": "conservative",
            "amend-reason": "Improving on physiotherapy.",
            "amend-screening": first.screening_id,
        },
        follow=True,
    )
    assert (
        "Amendment signed for Hopper, Grace (MRN MRN-7731): Conservative care, by Ada Lovelace"
    ) in text(response)
    assert "The case is now yours: nobody had taken it before you signed." in text(response)
    intake.refresh_from_db()
    assert intake.assigned_to == doc
