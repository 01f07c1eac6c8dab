"""The patient's pages as a patient (and an intruder) uses them: the date of birth first, a
session bound to one intake, answers saved and resumed, red flags routed, Spanish, the audit."""

from __future__ import annotations

import datetime

import pytest

from intake.models import AuditAction, AuditEvent, EntrySource, Intake, ScreeningKind
from intake.patient_link import services
from intake.services.accounts import roles_ensure
from tests.factories import IntakeFactory, PatientFactory, PhysicianFactory
from tests.intake.patient_link.conftest import BIRTH

pytestmark = pytest.mark.django_db

# The default set's patient steps, in order (tests may name the set's questions).
PAIN_STEP, RED_FLAG_STEP = 3, 5


def step_url(token: str, number: int) -> str:
    return f"/p/{token}/step/{number}/"


def test_nothing_is_shown_before_the_date_of_birth(client, token, draft):
    page = client.get(f"/p/{token}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Your date of birth" in text
    assert draft.patient.last_name not in text
    assert client.get(step_url(token, 1))["Location"] == f"/p/{token}/"


def test_right_birth_date_opens_the_first_step(client, token):
    response = client.post(f"/p/{token}/", {"date_of_birth": BIRTH.isoformat()})
    assert response["Location"] == step_url(token, 1)
    page = client.get(step_url(token, 1))
    assert "Step 1 of 7" in page.content.decode()


def test_wrong_birth_dates_count_down_then_lock(client, token):
    for left in (4, 3, 2, 1):
        page = client.post(f"/p/{token}/", {"date_of_birth": "1950-01-01"})
        assert page.status_code == 400
        assert f"Tries left: {left}." in page.content.decode()
    locked = client.post(f"/p/{token}/", {"date_of_birth": "1950-01-01"})
    assert locked.status_code == 410
    assert "the link is locked" in locked.content.decode()
    right = client.post(f"/p/{token}/", {"date_of_birth": BIRTH.isoformat()})
    assert right.status_code == 410
    failures = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, part="date of birth")
    assert failures.count() == 5
    assert AuditEvent.objects.filter(action=AuditAction.LOCKOUT).count() == 1


def test_an_address_making_too_many_refused_tries_must_wait(client, settings, draft, desk):
    settings.PATIENT_LINK_RATE_LIMIT = 3
    for _ in range(3):
        assert client.get("/p/not-a-real-token-at-all/").status_code == 404
    _link, token = services.patient_link_create(intake_id=draft.pk, user=desk)
    refused = client.post(f"/p/{token}/", {"date_of_birth": BIRTH.isoformat()})
    assert refused.status_code == 429
    assert "Too many tries" in refused.content.decode()
    other = client.get(f"/p/{token}/", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_expired_and_revoked_links_do_not_open(client, link_and_token, frozen, desk):
    link, token = link_and_token
    frozen.move_to(link.expires_at + datetime.timedelta(minutes=1))
    assert client.get(f"/p/{token}/").status_code == 410
    frozen.move_to(link.created_at)
    services.patient_link_revoke(link_id=link.pk, user=desk)
    page = client.get(f"/p/{token}/")
    assert page.status_code == 410
    assert "replaced or stopped" in page.content.decode()


STAFF_PAGES = ("/", "/patients/", "/review/", "/admin/", "/authorizations/")


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_patient_session_reaches_no_staff_page(patient_client, path):
    response = patient_client.get(path)
    assert response.status_code == 302
    assert "login/" in response["Location"]


def test_a_patient_session_reaches_no_other_intake(patient_client, draft, desk, token):
    other = IntakeFactory(patient=PatientFactory(date_of_birth=BIRTH))
    _link, other_token = services.patient_link_create(intake_id=other.pk, user=desk)
    assert patient_client.get(step_url(other_token, 1))["Location"] == f"/p/{other_token}/"
    assert patient_client.get(f"/intakes/{other.pk}/").status_code == 302


def test_only_the_patients_questions_are_asked(patient_client, token, default_set):
    page = patient_client.get(step_url(token, 1)).content.decode()
    assert "Are you pregnant, or could you be pregnant?" in page
    assert "Age in years" not in page  # filled by the app
    assert "Spine MRI done" not in page  # the clinic's question


def test_answers_are_saved_per_step_and_resumed(patient_client, client, token, draft):
    response = patient_client.post(
        step_url(token, PAIN_STEP), {"pain_nrs": "8", "pain_trend": "worsening"}
    )
    assert response["Location"] == step_url(token, PAIN_STEP + 1)
    intake = Intake.objects.get(pk=draft.pk)
    assert (intake.answers["pain_nrs"], intake.answers["pain_trend"]) == (8, "worsening")
    entry = intake.answer_entries.get(question_code="pain_nrs")
    assert (entry.source, entry.entered_by, entry.value) == (EntrySource.PATIENT, None, 8)
    # Another visit, the same link: the date of birth again, then the saved answers are there.
    patient_client.logout()
    again = patient_client.post(f"/p/{token}/", {"date_of_birth": BIRTH.isoformat()})
    assert again.status_code == 302
    page = patient_client.get(step_url(token, PAIN_STEP)).content.decode()
    assert 'value="8"' in page
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGE, username__startswith="patient link", part__startswith="answers"
    ).exists()


def test_a_bad_answer_is_named_and_the_others_kept(patient_client, token, draft):
    page = patient_client.post(
        step_url(token, PAIN_STEP), {"pain_nrs": "eleven", "pain_trend": "stable"}
    )
    assert page.status_code == 400
    assert "Please check this answer" in page.content.decode()
    assert Intake.objects.get(pk=draft.pk).answers == {"pain_trend": "stable"}


def test_clinic_answers_are_not_shown_back(patient_client, token, draft):
    Intake.objects.filter(pk=draft.pk).update(answers={"pain_nrs": 6})
    page = patient_client.get(step_url(token, PAIN_STEP)).content.decode()
    assert 'value="6"' not in page


def test_a_red_flag_tells_the_patient_and_tops_the_staff_pages(
    patient_client, client, token, draft
):
    roles_ensure()
    from tests.intake.review.factories import submitted_intake

    urgent = submitted_intake(outcome="emergency")
    physician = PhysicianFactory()
    staff = type(client)()
    staff.force_login(physician)
    before = staff.get("/review/").content.decode()
    assert "Patient reported a red flag" not in before

    response = patient_client.post(step_url(token, RED_FLAG_STEP), {"cauda_equina_signs": "true"})
    assert response.status_code == 302
    page = patient_client.get(response["Location"]).content.decode()
    assert "Call 911 or go to the nearest emergency room now" in page
    assert "(555) 010-9111" in page
    done = patient_client.get(f"/p/{token}/done/").content.decode()
    assert "Call 911" in done  # on every later page
    assert "cauda" not in page.lower() and "urgent" not in page.lower()  # no rule, no outcome

    intake = Intake.objects.get(pk=draft.pk)
    assert (intake.emergency, intake.emergency_open) == (True, True)
    assert intake.latest_screening.kind == ScreeningKind.PATIENT
    queue = staff.get("/review/").content.decode()
    first_case = queue.index(f"/intakes/{draft.pk}/")
    assert "Patient reported a red flag" in queue
    assert (
        first_case < queue.index(f"/review/{urgent.pk}/")
        if f"/review/{urgent.pk}/" in queue
        else True
    )
    assert AuditEvent.objects.filter(detail="patient reported a red flag").count() == 1


def test_front_desk_must_record_the_emergency_action_before_submitting(
    patient_client, client, token, draft, desk
):
    patient_client.post(step_url(token, RED_FLAG_STEP), {"cauda_equina_signs": "true"})
    client.force_login(desk)
    form = client.get(f"/intakes/{draft.pk}/").content.decode()
    assert "The patient reported an emergency red flag" in form
    assert "Record the action taken" in form


def test_spanish_pages(patient_client, token):
    patient_client.post(f"/p/{token}/language/", {"language": "es", "next": step_url(token, 1)})
    page = patient_client.get(step_url(token, 1))
    text = page.content.decode()
    assert page["Content-Language"] == "es"
    assert '<html lang="es">' in text
    assert "Paso 1 de 7" in text
    assert "¿Está embarazada o podría estarlo?" in text
    assert ">Sí<" in text
    # The section's name and the choices in the set's Spanish (criteria data).
    assert "Su situación" in text
    pain = patient_client.get(step_url(token, 3)).content.decode()
    assert "El dolor y lo que puede hacer" in pain
    assert "Está empeorando" in pain and "Sigue igual" in pain
    assert "Worsening" not in pain


def test_spanish_choice_labels_name_only_the_questions_choices(default_set):
    from django.core.exceptions import ValidationError

    from screener.models import Question

    question = Question.objects.get(criteria_set=default_set, code="pain_trend")
    question.choice_labels_es = {"worsening": "Empeora", "gone": "Se fue"}
    with pytest.raises(ValidationError) as refused:
        question.clean()
    assert "choice_labels_es" in refused.value.message_dict


def test_spanish_red_flag_message(patient_client, token):
    patient_client.post(f"/p/{token}/language/", {"language": "es", "next": f"/p/{token}/"})
    response = patient_client.post(step_url(token, RED_FLAG_STEP), {"cauda_equina_signs": "true"})
    page = patient_client.get(response["Location"]).content.decode()
    assert "Llame al 911" in page


def test_submitted_intake_closes_the_link(patient_client, token, draft):
    Intake.objects.filter(pk=draft.pk).update(status="submitted")
    page = patient_client.get(step_url(token, 1))
    assert page.status_code == 410
    assert "already has your answers" in page.content.decode()


def test_a_physician_opens_the_red_flag_and_records_the_action(
    patient_client, client, token, draft
):
    roles_ensure()
    patient_client.post(step_url(token, RED_FLAG_STEP), {"cauda_equina_signs": "true"})
    client.force_login(PhysicianFactory())
    home = client.get("/review/").content.decode()
    assert f'href="/intakes/{draft.pk}/"' in home
    page = client.get(f"/intakes/{draft.pk}/").content.decode()
    assert "Record the action taken" in page
    done = client.post(
        f"/intakes/{draft.pk}/emergency-action/",
        {
            "emergency-contacted": "patient_sent",
            "emergency-contacted_at": "2025-03-14T11:55",
            "emergency-note": "Called the patient: going to the emergency department now.",
            "emergency-next": "result",
        },
    )
    assert done.status_code == 302
    assert Intake.objects.get(pk=draft.pk).emergency_open is False
    assert "Patient reported a red flag" not in client.get("/review/").content.decode()


def test_the_patient_session_ends_after_the_idle_time(patient_client, token, frozen, settings):
    assert patient_client.get(step_url(token, 1)).status_code == 200
    frozen.shift(datetime.timedelta(seconds=settings.PATIENT_SESSION_SECONDS + 60))
    assert patient_client.get(step_url(token, 1))["Location"] == f"/p/{token}/"


def test_a_staff_sign_in_ends_the_patient_session(patient_client, token, desk):
    patient_client.force_login(desk)
    assert patient_client.get(step_url(token, 1))["Location"] == f"/p/{token}/"


def test_patient_prompts_are_shown_as_text(default_set):
    """A patient prompt is criteria text from someone else: escaped, never run as a template."""
    from django.template.loader import render_to_string

    from intake.patient_link.forms import PatientStepForm
    from intake.patient_link.selectors import PatientStep
    from screener import adapters

    question = default_set.question_set.get(code="pregnant")
    question.patient_prompt = "<script>alert(1)</script> {{ 7|add:1 }}"
    form = PatientStepForm(
        questions=[question],
        spec=adapters.compiled_criteria(default_set).spec,
        answers={},
        language="en",
        as_of=datetime.date(2025, 3, 14),
    )
    page = render_to_string(
        "patient/step.html",
        {"form": form, "step": PatientStep(1, "Setting", (question,)), "total": 7},
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7|add:1 }}" in page
    assert "<script>alert(1)" not in page
