"""``manage.py export_fhir response``: the QuestionnaireResponse with the Patient contained and
each answer's source and who entered it when; audited. The packet's bundle leaves them out."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.management import CommandError
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from intake.fhir import questionnaire_response
from intake.models import AuditAction, AuditEvent
from intake.services import intakes as services
from tests.criteria_data import example
from tests.factories import FrontDeskFactory, PatientFactory
from tests.intake.fhir.conftest import BASE
from tests.intake.fhir.helpers import export_response, items_by_link_id, submitted_intake

pytestmark = pytest.mark.django_db


def entered(answer: dict) -> dict[str, str]:
    [extension] = [e for e in answer["extension"] if e["url"].endswith("/answer-entered")]
    return {
        part["url"]: next(v for k, v in part.items() if k.startswith("value"))
        for part in extension["extension"]
    }


def source(answer: dict) -> str:
    [extension] = [e for e in answer["extension"] if e["url"].endswith("/answer-source")]
    return extension["valueCoding"]["code"]


def test_response_contains_the_patient_and_validates(default_set):
    """The file stands alone: the Patient is contained (MRN identifier) and is the subject."""
    patient = PatientFactory(mrn="MRN-5150", first_name="Ana", last_name="Ruiz")
    intake = submitted_intake(patient, example("ex-inpatient-candidate.json")["answers"])

    resource = export_response(intake.pk)
    QuestionnaireResponse.model_validate(resource)

    assert resource["subject"] == {"reference": "#patient"}
    [contained] = resource["contained"]
    assert contained["resourceType"] == "Patient"
    assert contained["id"] == "patient"
    assert contained["identifier"][0]["system"] == f"{BASE}/sid/mrn"
    assert contained["identifier"][0]["value"] == "MRN-5150"
    assert resource["questionnaire"] == f"{BASE}/Questionnaire/vertebroplasty|1"
    assert resource["status"] == "completed"
    assert resource["extension"][0]["valueCoding"]["code"] == intake.outcome


def test_each_answer_carries_its_source_and_who_entered_it_when(default_set):
    """Source (patient, chart, imaging, clinician) and the person and time of the history row
    where the answer took its value: an answer changed later names the later person."""
    desk = FrontDeskFactory(first_name="Fran", last_name="Desk")
    intake = submitted_intake(
        PatientFactory(), example("ex-inpatient-candidate.json")["answers"], user=desk
    )
    intake = type(intake).objects.get(pk=intake.pk)
    # The history row's user comes from the request; outside one the test names it.
    later = datetime.datetime(2025, 3, 15, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(later, tick=False):
        intake.answers = {**intake.answers, "pain_nrs": 7}
        intake._history_user = FrontDeskFactory(first_name="Lee", last_name="Later")
        intake.save()
    first = datetime.datetime(2025, 3, 14, 15, 30, tzinfo=datetime.UTC)
    type(intake).history.filter(id=intake.pk, history_date=first).update(history_user=desk)

    items = items_by_link_id(export_response(intake.pk))

    assert items["pain_nrs"]["answer"][0]["valueInteger"] == 7
    assert entered(items["pain_nrs"]["answer"][0]) == {
        "by": "Lee Later",
        "at": "2025-03-15T09:00:00+00:00",
    }
    assert entered(items["hospitalized"]["answer"][0]) == {
        "by": "Fran Desk",
        "at": "2025-03-14T15:30:00+00:00",
    }
    assert source(items["pain_nrs"]["answer"][0]) == "patient"
    assert source(items["hospitalized"]["answer"][0]) == "chart"
    assert source(items["mri_done"]["answer"][0]) == "imaging"
    assert source(items["pain_at_fracture_level"]["answer"][0]) == "clinician"


def test_export_is_audited_as_an_export_of_the_patients_record(default_set):
    intake = submitted_intake(PatientFactory(), example("ex-fever.json")["answers"])
    before = AuditEvent.objects.count()

    export_response(intake.pk)

    [event] = AuditEvent.objects.order_by("-id")[: AuditEvent.objects.count() - before]
    assert event.action == AuditAction.EXPORT
    assert event.username == "manage.py export_fhir"
    assert event.patient_id == intake.patient_id
    assert event.object_id == str(intake.pk)
    assert event.user is None


def test_unknown_intake_is_refused(default_set):
    with pytest.raises(CommandError, match="No intake with the id 999999"):
        export_response(999999)


def test_packet_response_has_no_provenance_by_default(default_set):
    """The shared builder adds provenance only when asked (the packet's bundle does not)."""
    intake = submitted_intake(PatientFactory(), example("ex-fever.json")["answers"])
    resource = questionnaire_response(intake)
    assert all("extension" not in item["answer"][0] for item in items_by_link_id(resource).values())
    assert resource["subject"] == {"reference": f"Patient/{intake.patient_id}"}


def test_draft_exports_in_progress(default_set):
    """A draft exports too: in progress, no outcome."""
    draft, _ = services.intake_start(
        patient=PatientFactory(), procedure=default_set.procedure, user=FrontDeskFactory()
    )
    resource = export_response(draft.pk)
    QuestionnaireResponse.model_validate(resource)
    assert resource["status"] == "in-progress"
    assert "extension" not in resource


def test_a_patient_answer_carries_the_patients_wording_in_english_and_spanish(default_set):
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    from intake.fhir.canonical import TRANSLATION_EXTENSION, patient_prompt_extension_url

    desk = FrontDeskFactory()
    intake = submitted_intake(
        PatientFactory(), example("ex-inpatient-candidate.json")["answers"], user=desk
    )
    resource = export_response(intake.pk)
    QuestionnaireResponse.model_validate(resource)
    items = items_by_link_id(resource)
    (prompt,) = [
        e
        for e in items["pain_nrs"].get("extension", [])
        if e["url"] == patient_prompt_extension_url()
    ]
    assert prompt["extension"][1]["url"] == TRANSLATION_EXTENSION
    assert {"url": "lang", "valueCode": "es"} in prompt["extension"][1]["extension"]
