"""The intake form as the front desk uses it: drafts, bad values, stale saves, submit, edit."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from intake.models import Decision, DecisionKind, Intake, IntakeStatus, Screening
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory, PhysicianFactory
from tests.intake.frontdesk_helpers import (
    example_answers,
    form_data,
    intake_url,
)

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


@pytest.fixture
def draft(default_set):
    return IntakeFactory(patient=PatientFactory(date_of_birth=datetime.date(1946, 6, 1)))


def fresh(intake: Intake) -> Intake:
    return Intake.objects.get(pk=intake.pk)


# ------------------------------------------------------------------------------- start


def test_start_creates_a_pinned_draft_and_opens_its_form(desk_client, default_set):
    patient = PatientFactory()
    response = desk_client.post(
        "/intakes/start/", {"patient": patient.pk, "procedure": default_set.procedure.pk}
    )
    intake = Intake.objects.get()
    assert response["Location"] == f"/intakes/{intake.pk}/"
    assert (intake.criteria_set, intake.status) == (default_set, "draft")
    page = desk_client.get(response["Location"])
    assert page.templates[0].name == "intake/intake_form.html"
    assert "Intake started under criteria version 1." in page.content.decode()
    again = desk_client.post(
        "/intakes/start/",
        {"patient": patient.pk, "procedure": default_set.procedure.pk},
        follow=True,
    )
    assert Intake.objects.count() == 1
    assert "already has a draft for this procedure" in again.content.decode()


def test_form_page_shows_the_patient_age_version_and_the_panel(desk_client, draft):
    body = desk_client.get(intake_url(draft)).content.decode()
    assert "age 78 on 2025-03-14, filled in from the date of birth" in body
    assert "criteria vertebroplasty version 1" in body
    assert 'id="live-panel"' in body
    assert "Still missing to decide (32)" in body
    assert f'data-panel-url="/intakes/{draft.pk}/panel/"' in body
    assert "js/intake_form.js" in body


# ------------------------------------------------------------------------------- drafts


def test_save_draft_keeps_every_answer_and_confirms(desk_client, draft):
    answers = {"hospitalized": True, "pain_nrs": 9, "fracture_level": "L1"}
    response = desk_client.post(intake_url(draft), form_data(answers, version=1), follow=True)
    assert response.redirect_chain == [(intake_url(draft), 302)]
    assert "Draft saved at 12:00. Nothing was submitted yet." in response.content.decode()
    intake = fresh(draft)
    assert intake.answers == answers
    assert (intake.status, intake.version) == ("draft", 2)


def test_draft_saved_with_one_answer_and_one_to_correct_says_so_in_the_singular(desk_client, draft):
    data = form_data({"hospitalized": True, "pain_nrs": "8-"}, version=1)
    body = desk_client.post(intake_url(draft), data).content.decode()
    assert "Draft saved with 1 answer. 1 answer was not saved: correct it below" in body


def test_draft_with_a_bad_value_keeps_and_saves_the_other_answers(desk_client, draft):
    data = form_data({"hospitalized": True, "pain_nrs": 11, "mri_done": False}, version=1)
    response = desk_client.post(intake_url(draft), data)
    body = response.content.decode()
    assert response.status_code == 400
    intake = fresh(draft)
    assert intake.answers == {"hospitalized": True, "mri_done": False}  # saved
    assert intake.version == 2
    # the bad value is shown next to its field, as typed, with the engine's message
    assert re.search(r'name="pain_nrs" value="11"[^>]*is-invalid', body)
    assert "11 is above the maximum 10." in body
    assert "Draft saved with 2 answers. 1 answer was not saved: correct it below" in body
    # the form now carries the new version, so correcting and saving works at once
    assert 'name="_version" value="2"' in body
    fixed = desk_client.post(
        intake_url(draft),
        form_data({"hospitalized": True, "pain_nrs": 9, "mri_done": False}, version=2),
    )
    assert fixed.status_code == 302
    assert fresh(draft).answers["pain_nrs"] == 9


def test_submit_with_a_bad_value_saves_the_rest_and_does_not_submit(desk_client, draft):
    data = form_data(
        {"hospitalized": True, "symptom_onset_date": "2025-04-01"}, version=1, action="submit"
    )
    response = desk_client.post(intake_url(draft), data)
    assert response.status_code == 400
    assert "The intake was not submitted." in response.content.decode()
    assert "after the screening date 2025-03-14" in response.content.decode()
    intake = fresh(draft)
    assert (intake.status, intake.answers) == ("draft", {"hospitalized": True})
    assert not Screening.objects.exists()


def test_save_from_a_stale_version_is_refused_and_keeps_what_was_typed(client, draft):
    mine, theirs = FrontDeskFactory(), FrontDeskFactory()
    client.force_login(theirs)
    client.post(intake_url(draft), form_data({"hospitalized": True, "pain_nrs": 6}, version=1))
    client.force_login(mine)
    response = client.post(
        intake_url(draft), form_data({"hospitalized": False, "pain_nrs": 6}, version=1)
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved this intake after you opened it." in body
    assert fresh(draft).answers == {"hospitalized": True, "pain_nrs": 6}  # nothing overwritten
    # what I typed is still in the form, and the differences are listed
    assert re.search(r'name="hospitalized" value="false"[^>]*checked', body)
    assert [(c.theirs, c.yours) for c in response.context["conflicts"]] == [("true", "false")]
    # saving again, deliberately, now works (the form carries the current version)
    assert 'name="_version" value="2"' in body
    again = client.post(
        intake_url(draft), form_data({"hospitalized": False, "pain_nrs": 6}, version=2)
    )
    assert again.status_code == 302
    assert fresh(draft).answers["hospitalized"] is False


def test_double_click_on_save_saves_once_without_a_conflict(desk_client, draft):
    data = form_data({"hospitalized": True}, version=1)
    assert desk_client.post(intake_url(draft), data).status_code == 302
    assert desk_client.post(intake_url(draft), data).status_code == 302
    assert fresh(draft).answers == {"hospitalized": True}


# ------------------------------------------------------------------------------- submit


def test_submit_shows_the_result_page(desk_client, draft):
    data = form_data(example_answers("ex-inpatient-candidate.json"), version=1, action="submit")
    response = desk_client.post(intake_url(draft), data, follow=True)
    assert response.redirect_chain == [(intake_url(draft), 302)]
    assert response.templates[0].name == "intake/intake_result.html"
    assert (
        "Submitted for physician review. The screener suggests: Appears to meet criteria — "
        "awaiting physician review." in response.content.decode()
    )
    intake = fresh(draft)
    assert (intake.status, intake.outcome) == ("submitted", "candidate")


@pytest.mark.parametrize("second_action", ["submit", "save"])
def test_double_submit_or_back_button_makes_one_screening(desk_client, draft, second_action):
    answers = example_answers("ex-inpatient-candidate.json")
    desk_client.post(intake_url(draft), form_data(answers, version=1, action="submit"))
    again = desk_client.post(
        intake_url(draft), form_data(answers, version=1, action=second_action), follow=True
    )
    assert "This intake was already submitted; here is its result." in again.content.decode()
    assert Screening.objects.filter(intake=draft).count() == 1


def test_two_tabs_submitting_different_answers_make_one_screening(desk_client, draft):
    desk_client.post(
        intake_url(draft), form_data({"hospitalized": True}, version=1, action="submit")
    )
    other_tab = desk_client.post(
        intake_url(draft), form_data({"hospitalized": False}, version=1, action="submit")
    )
    body = other_tab.content.decode()
    assert other_tab.status_code == 409
    assert "submitted meanwhile with other answers, so yours were not saved" in body
    assert re.search(r'name="hospitalized" value="false"[^>]*checked', body)  # kept
    assert 'name="_reason"' in body
    assert Screening.objects.filter(intake=draft).count() == 1
    assert fresh(draft).answers == {"hospitalized": True}


def test_saving_an_intake_submitted_meanwhile_keeps_the_typing_as_an_edit(client, draft):
    colleague, me = FrontDeskFactory(), FrontDeskFactory()
    client.force_login(colleague)
    client.post(intake_url(draft), form_data({"hospitalized": True}, version=1, action="submit"))
    client.force_login(me)
    response = client.post(
        intake_url(draft), form_data({"hospitalized": True, "pain_nrs": 7}, version=1)
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "submitted meanwhile with other answers, so yours were not saved." in body
    assert 'name="_reason"' in body
    assert f'action="/intakes/{draft.pk}/edit/"' in body
    assert re.search(r'name="pain_nrs" value="7"', body)
    assert Screening.objects.filter(intake=draft).count() == 1


# ------------------------------------------------------------------------------- edit


def submitted(client, intake, answers) -> Intake:
    client.post(intake_url(intake), form_data(answers, version=1, action="submit"))
    return fresh(intake)


def test_edit_needs_a_reason_and_saves_nothing_without_one(desk_client, draft):
    answers = example_answers("ex-inpatient-candidate.json")
    answers.pop("mri_done")
    intake = submitted(desk_client, draft, answers)
    page = desk_client.get(intake_url(intake, "edit/"))
    assert 'name="_reason"' in page.content.decode()
    response = desk_client.post(
        intake_url(intake, "edit/"),
        form_data({**answers, "mri_done": True}, version=intake.version, _reason=""),
    )
    assert response.status_code == 400
    assert "Give the reason for changing a submitted intake." in response.content.decode()
    assert re.search(r'name="mri_done" value="true"[^>]*checked', response.content.decode())
    assert Screening.objects.filter(intake=draft).count() == 1


def test_edit_with_reason_makes_a_new_screening_and_keeps_the_history(desk_client, draft):
    answers = example_answers("ex-inpatient-candidate.json")
    answers.pop("mri_done")
    intake = submitted(desk_client, draft, answers)
    assert intake.outcome == "needs_info"
    response = desk_client.post(
        intake_url(intake, "edit/"),
        form_data(
            {**answers, "mri_done": True}, version=intake.version, _reason="MRI report received."
        ),
        follow=True,
    )
    body = response.content.decode()
    assert (
        "Changes saved and screened again. The earlier screenings stay in the history. The "
        "screener suggests: Appears to meet criteria — awaiting physician review." in body
    )
    history = response.context["result"].history
    assert [(s.kind, s.outcome, s.reason) for s, _, _ in history] == [
        ("edit", "candidate", "MRI report received."),
        ("submission", "needs_info", ""),
    ]
    assert "Screening history (2)" in body
    assert "MRI report received." in body


def test_edit_from_a_stale_version_is_refused(desk_client, draft):
    intake = submitted(desk_client, draft, {"hospitalized": True})
    stale = intake.version
    desk_client.post(
        intake_url(intake, "edit/"),
        form_data({"hospitalized": True, "pain_nrs": 9}, version=stale, _reason="Pain score."),
    )
    response = desk_client.post(
        intake_url(intake, "edit/"),
        form_data(
            {"hospitalized": True, "pain_nrs": 3}, version=stale, _reason="Other pain score."
        ),
    )
    assert response.status_code == 409
    assert re.search(r'name="pain_nrs" value="3"', response.content.decode())
    assert Screening.objects.filter(intake=draft).count() == 2


def test_edit_page_of_a_draft_sends_to_the_form(desk_client, draft):
    response = desk_client.get(intake_url(draft, "edit/"))
    assert response["Location"] == intake_url(draft)


# ------------------------------------------------------------------------------- physicians


def test_physician_reads_results_but_cannot_change_intakes(client, draft):
    desk = FrontDeskFactory()
    client.force_login(desk)
    client.post(intake_url(draft), form_data({"hospitalized": True}, version=1, action="submit"))
    client.force_login(PhysicianFactory())
    result = client.get(intake_url(draft))
    assert result.status_code == 200
    assert result.templates[0].name == "intake/intake_result.html"
    assert "Edit answers" not in result.content.decode()
    assert (
        client.post(intake_url(draft), form_data({}, version=2, action="save")).status_code == 403
    )
    assert client.get(intake_url(draft, "edit/")).status_code == 403
    assert client.post(intake_url(draft, "panel/"), {}).status_code == 403
    assert Screening.objects.filter(intake=draft).count() == 1


def test_physician_sees_a_draft_as_in_progress(client, draft):
    client.force_login(PhysicianFactory())
    response = client.get(intake_url(draft))
    assert "has not been submitted or screened yet" in response.content.decode()
    assert 'name="pain_nrs"' not in response.content.decode()


def test_intake_status_changes_nothing_for_an_unknown_id(desk_client, default_set):
    assert desk_client.get("/intakes/999999/").status_code == 404
    assert desk_client.post("/intakes/999999/panel/", {}).status_code == 404


# ------------------------------------------------------------------------------- info requested


def test_an_information_request_is_answered_in_the_form_and_resubmitted(client, draft):
    desk, doctor = FrontDeskFactory(), PhysicianFactory(first_name="Ada", last_name="Bone")
    client.force_login(desk)
    intake = submitted(client, draft, {"hospitalized": True})
    Decision.objects.create(
        intake=intake,
        screening=intake.latest_screening,
        kind=DecisionKind.REQUEST_INFO,
        reason="Please add the MRI report.",
        physician=doctor,
        signed_at=timezone.now(),
    )
    Intake.objects.filter(pk=intake.pk).update(status=IntakeStatus.INFO_REQUESTED)

    page = client.get(intake_url(intake))
    body = page.content.decode()
    assert page.templates[0].name == "intake/intake_form.html"
    assert "Ada Bone asked for more information" in body
    assert "Please add the MRI report." in body
    assert 'name="_note"' in body

    response = client.post(
        intake_url(intake),
        form_data(
            {"hospitalized": True, "mri_done": True},
            version=fresh(intake).version,
            action="submit",
            _note="MRI report added.",
        ),
    )
    assert response.status_code == 302
    intake = fresh(intake)
    assert intake.status == "submitted"
    assert [(s.kind, s.reason) for s in intake.screenings.order_by("id")] == [
        ("submission", ""),
        ("edit", "MRI report added."),
    ]
    client.force_login(doctor)
    assert client.get(intake_url(intake)).templates[0].name == "intake/intake_result.html"
