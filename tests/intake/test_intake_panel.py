"""The live panel: the server evaluates the current, unsaved answers and saves nothing."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from intake.models import Intake, Screening
from intake.outcomes import emergency_label
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory
from tests.intake.frontdesk_helpers import example_answers, form_data, intake_url

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2025, 3, 14, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def desk_client(client):
    client.force_login(FrontDeskFactory())
    return client


def make_draft(born=datetime.date(1946, 6, 1)) -> Intake:
    return IntakeFactory(patient=PatientFactory(date_of_birth=born))


def panel(client, intake, answers, **extra):
    response = client.post(intake_url(intake, "panel/"), form_data(answers, version=1, **extra))
    assert response.status_code == 200
    return response


def test_panel_is_a_fragment_with_the_outcome_so_far_and_what_is_missing(desk_client, default_set):
    intake = make_draft()
    answers = example_answers("ex-inpatient-candidate.json")
    answers.pop("pain_nrs")
    response = panel(desk_client, intake, answers)
    body = response.content.decode()
    assert "<html" not in body
    assert response.context["summary"].label == (
        "Information needed — to complete before physician review"
    )
    assert [m.code for m in response.context["summary"].missing] == ["pain_nrs"]
    assert 'href="#div_id_pain_nrs"' in body
    assert "Still missing to decide (1)" in body


def test_panel_saves_nothing(desk_client, default_set):
    intake = make_draft()
    panel(desk_client, intake, example_answers("ex-inpatient-candidate.json"))
    intake.refresh_from_db()
    assert (intake.answers, intake.version, intake.status) == ({}, 1, "draft")
    assert not Screening.objects.exists()


def test_a_red_flag_shows_with_its_message_as_soon_as_entered(desk_client, default_set):
    body = panel(desk_client, make_draft(), {"infection_signs": True}).content.decode()
    assert "Possible spinal infection. Complete an infection work-up before any procedure." in body
    assert "Urgent referral — for physician review now" in body
    assert emergency_label() not in body  # not an emergency red flag


def test_an_emergency_red_flag_shows_the_emergency_wording_prominently(desk_client, default_set):
    body = panel(desk_client, make_draft(), {"cauda_equina_signs": True}).content.decode()
    assert (
        "EMERGENCY: do not book. Call the on-call spine clinician now on (555) 010-9111, or "
        "send the patient to the emergency department now."
    ) in body
    # The form puts the warning beside the question that raised it (the panel names it).
    assert 'data-emergency="true" data-emergency-questions="cauda_equina_signs"' in body
    assert 'class="alert alert-danger emergency-banner' in body
    assert body.index(emergency_label()) < body.index("So far, the screener suggests")


def required(response) -> set[str]:
    return set(response.context["required"])


def test_conditional_questions_are_required_only_when_their_condition_holds(
    desk_client, default_set
):
    intake = make_draft()
    outpatient = panel(desk_client, intake, {"hospitalized": False})
    inpatient = panel(desk_client, intake, {"hospitalized": True})
    assert {"pain_trend", "conservative_weeks", "tried_brace"} <= required(outpatient)
    assert not {"pain_trend", "conservative_weeks", "tried_brace"} & required(inpatient)
    # answered conditional questions are still required (the marker stays), and kept
    answered = panel(desk_client, intake, {"hospitalized": False, "pain_trend": "stable"})
    assert "pain_trend" in required(answered)
    assert "pain_trend" not in [m.code for m in answered.context["summary"].missing]
    assert 'data-required="' in answered.content.decode()


def test_age_from_the_date_of_birth_drives_the_pregnancy_question(desk_client, default_set):
    young = make_draft(born=datetime.date(1985, 1, 1))
    old = make_draft(born=datetime.date(1946, 1, 1))
    assert "pregnant" in required(panel(desk_client, young, {}))
    assert "pregnant" not in required(panel(desk_client, old, {}))


def test_an_answer_to_a_question_not_required_now_is_still_used(desk_client, default_set):
    """The engine uses every answer given: pregnancy is not asked at 78 but counts if typed."""
    body = panel(desk_client, make_draft(), {"pregnant": True}).content.decode()
    assert "Pregnant or possibly pregnant." in body
    assert "Contraindications" in body


def test_bad_values_are_listed_and_left_out_of_the_evaluation(desk_client, default_set):
    response = panel(desk_client, make_draft(), {"pain_nrs": 11, "cauda_equina_signs": True})
    assert response.context["invalid"] == [
        ("id_pain_nrs", response.context["invalid"][0][1], "11 is above the maximum 10.")
    ]
    assert "pain_nrs" in [m.code for m in response.context["summary"].missing]
    assert "Answers to correct (1)" in response.content.decode()


def test_panel_needs_a_post_from_the_front_desk(desk_client, default_set):
    intake = make_draft()
    assert desk_client.get(intake_url(intake, "panel/")).status_code == 405
