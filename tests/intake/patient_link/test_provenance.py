"""Provenance of answers: each change is an entry with its source, who and when; a staff
correction of a patient's answer keeps both; patient answers are confirmed before submitting."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from intake.models import AnswerEntry, EntrySource, Intake, IntakeStatus
from intake.patient_link import services as link_services
from intake.services import intakes as services
from tests.intake.frontdesk_helpers import AS_OF
from tests.intake.patient_link.conftest import BIRTH

pytestmark = pytest.mark.django_db


def patient_says(link, **answers):
    return link_services.patient_answers_save(link_id=link.pk, changes=answers, as_of=AS_OF)


def fresh(intake: Intake) -> Intake:
    return Intake.objects.get(pk=intake.pk)


def test_staff_answers_are_recorded_with_who_and_when(draft, desk):
    services.intake_save_draft(
        intake_id=draft.pk, changes={"mri_done": True}, version=1, user=desk, as_of=AS_OF
    )
    entry = AnswerEntry.objects.get(intake=draft, question_code="mri_done")
    assert (entry.source, entry.entered_by, entry.value, entry.replaces) == (
        EntrySource.STAFF,
        desk,
        True,
        None,
    )


def test_a_staff_correction_keeps_the_patients_answer(link_and_token, draft, desk):
    link, _ = link_and_token
    patient_says(link, pain_nrs=9)
    intake = fresh(draft)
    with pytest.raises(ValidationError) as refused:
        services.intake_save_draft(
            intake_id=draft.pk,
            changes={"pain_nrs": 6},
            version=intake.version,
            user=desk,
            as_of=AS_OF,
        )
    assert "pain_nrs" in refused.value.message_dict
    assert fresh(draft).answers["pain_nrs"] == 9  # nothing saved
    services.intake_save_draft(
        intake_id=draft.pk,
        changes={"pain_nrs": 6},
        version=intake.version,
        user=desk,
        as_of=AS_OF,
        reasons={"pain_nrs": "Patient meant the pain today, not the worst."},
    )
    patient, staff = AnswerEntry.objects.filter(intake=draft, question_code="pain_nrs").order_by(
        "id"
    )
    assert (patient.source, patient.value, patient.entered_by) == (EntrySource.PATIENT, 9, None)
    assert (staff.source, staff.value, staff.entered_by) == (EntrySource.STAFF, 6, desk)
    assert staff.replaces == patient
    assert staff.reason == "Patient meant the pain today, not the worst."
    assert fresh(draft).answers["pain_nrs"] == 6


def test_submit_is_refused_naming_unconfirmed_patient_answers(link_and_token, draft, desk):
    link, _ = link_and_token
    patient_says(link, pain_nrs=9, tried_brace=True)
    intake = fresh(draft)
    with pytest.raises(ValidationError) as refused:
        services.intake_submit(
            intake_id=draft.pk, changes={}, version=intake.version, user=desk, as_of=AS_OF
        )
    assert sorted(refused.value.message_dict) == ["pain_nrs", "tried_brace"]
    assert fresh(draft).status == IntakeStatus.DRAFT
    services.intake_submit(
        intake_id=draft.pk,
        changes={},
        version=intake.version,
        user=desk,
        as_of=AS_OF,
        confirm=["pain_nrs", "tried_brace"],
    )
    assert fresh(draft).status == IntakeStatus.SUBMITTED
    confirmed = AnswerEntry.objects.get(intake=draft, question_code="pain_nrs")
    assert confirmed.confirmed_by == desk and confirmed.confirmed_at is not None


def test_the_form_marks_patient_answers_and_confirms_them(client, link_and_token, draft, desk):
    link, _ = link_and_token
    patient_says(link, pain_nrs=9)
    client.force_login(desk)
    page = client.get(f"/intakes/{draft.pk}/").content.decode()
    assert "Answers from the patient (1)" in page
    assert "From the patient" in page
    version = fresh(draft).version
    refused = client.post(
        f"/intakes/{draft.pk}/", {"_version": version, "_action": "submit", "pain_nrs": "9"}
    )
    assert refused.status_code == 400
    assert "confirm it with the patient" in refused.content.decode()
    done = client.post(
        f"/intakes/{draft.pk}/",
        {"_version": version, "_action": "submit", "pain_nrs": "9", "_confirm": "pain_nrs"},
    )
    assert done.status_code == 302
    assert fresh(draft).status == IntakeStatus.SUBMITTED


def test_the_form_corrects_a_patient_answer_with_a_reason(client, link_and_token, draft, desk):
    link, _ = link_and_token
    patient_says(link, pain_nrs=9)
    client.force_login(desk)
    version = fresh(draft).version
    response = client.post(
        f"/intakes/{draft.pk}/",
        {
            "_version": version,
            "_action": "save",
            "pain_nrs": "7",
            "_correction_pain_nrs": "Re-asked.",
        },
    )
    assert response.status_code == 302
    assert [
        e.source for e in AnswerEntry.objects.filter(question_code="pain_nrs").order_by("id")
    ] == [
        EntrySource.PATIENT,
        EntrySource.STAFF,
    ]


def test_a_patient_blank_leaves_a_clinic_answer(link_and_token, draft, desk):
    link, _ = link_and_token
    services.intake_save_draft(
        intake_id=draft.pk, changes={"pain_nrs": 5}, version=1, user=desk, as_of=AS_OF
    )
    patient_says(link, pain_nrs=None)
    assert fresh(draft).answers["pain_nrs"] == 5


def test_the_patient_cannot_answer_the_clinics_questions(link_and_token):
    link, _ = link_and_token
    with pytest.raises(ValidationError) as refused:
        patient_says(link, mri_done=True)
    assert list(refused.value.message_dict) == ["mri_done"]


def test_link_create_page_shows_the_link_once_with_a_qr_code(client, draft, desk):
    client.force_login(desk)
    page = client.post(f"/intakes/{draft.pk}/patient-link/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in text and "http://testserver/p/" in text
    token = text.split("http://testserver/p/")[1].split("/")[0]
    assert client.logout() is None
    assert client.post(f"/p/{token}/", {"date_of_birth": BIRTH.isoformat()}).status_code == 302
    assert draft.patient.last_name not in text.split("patient-slip")[1]


def test_link_is_emailed_without_patient_data(client, draft, desk, settings, mailoutbox):
    settings.PASSWORD_RESET_BY_EMAIL = True
    client.force_login(desk)
    client.post(f"/intakes/{draft.pk}/patient-link/", {"email": "pat@example.org"})
    (message,) = mailoutbox
    assert message.to == ["pat@example.org"]
    assert "http://testserver/p/" in message.body
    for detail in (draft.patient.last_name, draft.patient.first_name, draft.patient.mrn, "1946"):
        assert detail not in message.body + message.subject


def test_an_entry_is_kept_as_written(link_and_token, draft):
    from intake.models import ImmutableDecisionError

    link, _ = link_and_token
    patient_says(link, pain_nrs=9)
    entry = AnswerEntry.objects.get(intake=draft)
    entry.value = 2
    with pytest.raises(ImmutableDecisionError):
        entry.save()
    with pytest.raises(ImmutableDecisionError):
        entry.delete()
