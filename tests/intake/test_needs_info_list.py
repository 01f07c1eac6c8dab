"""The needs-information list: what the physician asked for, then what is missing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from intake.models import Decision, DecisionKind, Intake, IntakeStatus, ScreeningKind
from intake.services.screenings import screening_record
from tests.factories import (
    FrontDeskFactory,
    IntakeFactory,
    PatientFactory,
    PhysicianFactory,
)
from tests.intake.frontdesk_helpers import AS_OF, example_answers

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
