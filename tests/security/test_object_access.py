"""No other patient's data by changing an id: an id in a URL or a form must belong to the
intake the URL names, and a page exists only for the objects it is about (404 otherwise),
whatever the role. Nothing is saved by a refused request."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from intake.models import (
    Decision,
    DecisionKind,
    EmergencyAction,
    EmergencyContact,
    Intake,
    IntakeStatus,
)
from intake.services import emergencies, reviews
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory, PhysicianFactory
from tests.intake.review.factories import submitted_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

NOW = datetime.datetime(2025, 3, 14, 16, 0, tzinfo=datetime.UTC)
CALLED_AT = datetime.datetime(2025, 3, 14, 15, 40, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk():
    return FrontDeskFactory()


@pytest.fixture
def doc():
    return PhysicianFactory()


def decided(physician, *, kind=DecisionKind.PROCEED, **kwargs) -> tuple[Intake, Decision]:
    """A submitted intake of a new patient, decided by ``physician``."""
    intake = submitted_intake(outcome="candidate", patient=PatientFactory())
    decision = reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=kind,
        physician=physician,
        **kwargs,
    )
    return intake, decision


def amend_post(screening_id: int) -> dict[str, object]:
    return {
        "amend-kind": "conservative",
        "amend-reason": "Improving with bracing.",
        "amend-screening": screening_id,
    }


def test_a_decision_of_another_intake_cannot_be_amended_through_this_one(client, default_set, doc):
    mine, _my_decision = decided(doc)
    _theirs, their_decision = decided(doc)
    client.force_login(doc)
    response = client.post(
        reverse("review:amend", args=[mine.pk, their_decision.pk]),
        amend_post(mine.latest_screening_id),
    )
    assert response.status_code == 404
    assert Decision.objects.count() == 2
    assert not Decision.objects.filter(supersedes=their_decision).exists()


def test_a_decision_cannot_be_signed_on_another_intakes_screening(client, default_set, doc):
    mine = submitted_intake(outcome="candidate", patient=PatientFactory())
    theirs = submitted_intake(outcome="candidate", patient=PatientFactory())
    client.force_login(doc)
    response = client.post(
        reverse("review:decide", args=[mine.pk]),
        {"kind": "proceed", "screening": theirs.latest_screening_id},
    )
    assert response.status_code == 409
    assert Decision.objects.count() == 0


def test_an_amendment_cannot_name_another_intakes_screening(client, default_set, doc):
    mine, my_decision = decided(doc)
    theirs = submitted_intake(outcome="candidate", patient=PatientFactory())
    client.force_login(doc)
    response = client.post(
        reverse("review:amend", args=[mine.pk, my_decision.pk]),
        amend_post(theirs.latest_screening_id),
    )
    assert response.status_code == 409
    assert list(Decision.objects.all()) == [my_decision]


def _emergency_post(**changes) -> dict[str, object]:
    return {
        "emergency-contacted": "emergency_department",
        "emergency-contact_name": "St Mary's ED",
        "emergency-contacted_at": "2025-03-14T15:40",
        "emergency-note": "Correction: it was the ED, not the on-call clinician.",
    } | changes


@pytest.mark.parametrize("role", ["front desk", "physician"])
def test_an_emergency_correction_cannot_name_another_intakes_entry(
    client, default_set, desk, doc, role
):
    mine = submitted_intake(outcome="emergency", patient=PatientFactory())
    theirs = submitted_intake(outcome="emergency", patient=PatientFactory())
    their_entry = emergencies.emergency_action_record(
        intake_id=theirs.pk,
        user=desk,
        contacted=EmergencyContact.ONCALL,
        contacted_at=CALLED_AT,
        note="Dr Hale on call.",
        contact_name="Dr Hale",
    )
    client.force_login(desk if role == "front desk" else doc)
    response = client.post(
        reverse("intake:emergency-action", args=[mine.pk]),
        _emergency_post(**{"emergency-corrects": their_entry.pk}),
    )
    assert response.status_code == 404
    assert list(EmergencyAction.objects.all()) == [their_entry]
    assert Intake.objects.get(pk=mine.pk).emergency_open is True


@pytest.mark.parametrize("role", ["front desk", "physician"])
@pytest.mark.parametrize("state", ["draft", "submitted", "referred", "information requested"])
def test_a_handout_exists_only_for_a_decision_with_patient_instructions(
    client, default_set, desk, doc, role, state
):
    """Drafts and undecided intakes have no handout; nor do decisions without patient
    content (a referral, a request for information)."""
    if state == "draft":
        intake = IntakeFactory()
    elif state == "submitted":
        intake = submitted_intake(outcome="candidate")
    elif state == "referred":
        intake, _decision = decided(
            doc, kind=DecisionKind.REFER, refer_to="Spine surgery", reason="Unstable fracture."
        )
    else:
        intake, _decision = decided(doc, kind=DecisionKind.REQUEST_INFO, reason="Pain score?")
    client.force_login(desk if role == "front desk" else doc)
    assert client.get(reverse("intake:intake-handout", args=[intake.pk])).status_code == 404


def test_a_decided_intake_has_its_handout(client, default_set, desk, doc):
    """The other side of the handout test above: the same request succeeds for "proceed"."""
    intake, _decision = decided(doc)
    client.force_login(desk)
    assert client.get(reverse("intake:intake-handout", args=[intake.pk])).status_code == 200


REVIEW_PAGES = [
    ("get", "review:case"),
    ("post", "review:take"),
    ("post", "review:take-over"),
    ("post", "review:assign"),
    ("post", "review:decide"),
    ("post", "review:follow-up"),
]


@pytest.mark.parametrize(("method", "name"), REVIEW_PAGES)
def test_a_draft_is_not_a_case(client, default_set, doc, method, name):
    draft = IntakeFactory(answers={"hospitalized": True})
    client.force_login(doc)
    response = getattr(client, method)(reverse(name, args=[draft.pk]))
    assert response.status_code == 404
    draft.refresh_from_db()
    assert (draft.status, draft.assigned_to) == (IntakeStatus.DRAFT, None)


@pytest.mark.parametrize(("method", "name"), REVIEW_PAGES)
def test_a_case_that_does_not_exist_is_not_found(client, default_set, doc, method, name):
    client.force_login(doc)
    assert getattr(client, method)(reverse(name, args=[987654])).status_code == 404


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "intake:patient-detail"),
        ("get", "intake:patient-edit"),
        ("post", "intake:patient-edit"),
    ],
)
def test_a_patient_that_does_not_exist_is_not_found(client, default_set, desk, method, name):
    client.force_login(desk)
    assert getattr(client, method)(reverse(name, args=[987654])).status_code == 404


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "intake:intake-detail"),
        ("post", "intake:intake-detail"),
        ("post", "intake:intake-panel"),
        ("get", "intake:intake-edit"),
        ("post", "intake:emergency-action"),
        ("get", "intake:intake-handout"),
    ],
)
def test_an_intake_that_does_not_exist_is_not_found(client, default_set, desk, method, name):
    client.force_login(desk)
    assert getattr(client, method)(reverse(name, args=[987654])).status_code == 404
