"""The intake's answers as a FHIR R4 QuestionnaireResponse and the patient as a Patient, each
validated with fhir.resources' R4B models."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from intake.fhir import patient_resource, questionnaire_response
from intake.models import Intake, Sex
from intake.services import intakes as services
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory

pytestmark = pytest.mark.django_db

BASE = "https://clinic.example/fhir"

# One answer of each question type of the default set.
ANSWERS = {
    "hospitalized": False,  # bool
    "pain_nrs": 8,  # int
    "inr": 1.2,  # decimal
    "fracture_level": "L1",  # choice
    "pain_trend": "worsening",  # choice
    "symptom_onset_date": "2026-10-20",  # date
    "fracture_confirmed": True,
}


@pytest.fixture(autouse=True)
def _base(settings):
    settings.FHIR_CANONICAL_BASE = BASE + "/"


def items_by_link_id(resource: dict) -> dict[str, dict]:
    return {item["linkId"]: item for group in resource["item"] for item in group["item"]}


def submitted_intake(answers: dict) -> Intake:
    intake = IntakeFactory(
        patient=PatientFactory(mrn="MRN-77", date_of_birth=datetime.date(1946, 6, 1))
    )
    with time_machine.travel(
        datetime.datetime(2026, 11, 20, 15, 30, tzinfo=datetime.UTC), tick=False
    ):
        services.intake_submit(
            intake_id=intake.pk,
            changes=answers,
            version=intake.version,
            user=FrontDeskFactory(),
            as_of=datetime.date(2026, 11, 20),
        )
    return Intake.objects.select_related("criteria_set__procedure").get(pk=intake.pk)


def test_submitted_intake_answers_typed_by_question_type(default_set):
    """Each answer carries the element its question type calls for, under its question code."""
    intake = submitted_intake(ANSWERS)

    resource = questionnaire_response(intake)
    QuestionnaireResponse.model_validate(resource)

    items = items_by_link_id(resource)
    assert items["hospitalized"]["answer"] == [{"valueBoolean": False}]
    assert items["pain_nrs"]["answer"] == [{"valueInteger": 8}]
    assert items["inr"]["answer"] == [{"valueDecimal": 1.2}]
    assert items["fracture_level"]["answer"] == [
        {
            "valueCoding": {
                "system": f"{BASE}/Questionnaire/vertebroplasty/choices/fracture_level",
                "code": "L1",
                "display": "L1",
            }
        }
    ]
    assert items["pain_trend"]["answer"][0]["valueCoding"]["display"] == "Worsening"
    assert items["symptom_onset_date"]["answer"] == [{"valueDate": "2026-10-20"}]
    assert items["pain_nrs"]["text"] == default_set.question_set.get(code="pain_nrs").prompt
    assert set(items) == set(ANSWERS)  # nothing blank, nothing filled by the app


def test_submitted_response_names_questionnaire_version_patient_and_outcome(default_set):
    """A submitted intake is completed, authored when submitted, for its patient, with the
    criteria version it was answered under and the screening's outcome."""
    intake = submitted_intake(ANSWERS)

    resource = questionnaire_response(intake)

    assert resource["questionnaire"] == f"{BASE}/Questionnaire/vertebroplasty|1"
    assert resource["status"] == "completed"
    assert resource["authored"] == "2026-11-20T15:30:00+00:00"
    assert resource["subject"] == {"reference": f"Patient/{intake.patient_id}"}
    assert resource["identifier"] == {"system": f"{BASE}/sid/intake", "value": str(intake.pk)}
    [outcome] = resource["extension"]
    assert outcome["url"] == f"{BASE}/StructureDefinition/screening-outcome"
    assert outcome["valueCoding"]["code"] == intake.outcome
    assert outcome["valueCoding"]["system"] == f"{BASE}/CodeSystem/screening-outcome"


def test_sections_are_groups_in_checklist_order(default_set):
    """Answers sit in one group per section, sections and questions in checklist order."""
    intake = submitted_intake(ANSWERS)

    resource = questionnaire_response(intake)

    questions = list(default_set.question_set.order_by("order", "id"))
    sections = list(dict.fromkeys(q.section for q in questions))
    used = [s for s in sections if any(q.section == s and q.code in ANSWERS for q in questions)]
    assert [group["text"] for group in resource["item"]] == used
    assert [group["linkId"] for group in resource["item"]] == [
        f"section-{sections.index(s) + 1}" for s in used
    ]
    order = [q.code for q in questions if q.code in ANSWERS]
    assert [link for link in items_by_link_id(resource)] == order


def test_draft_is_in_progress_and_skips_blank_and_mistyped_answers(default_set):
    """A draft is in progress, has no outcome, and leaves out blank answers and a value that
    does not fit its question's type."""
    intake = IntakeFactory(answers={"pain_nrs": None, "inr": "high", "pregnant": False})
    intake = Intake.objects.select_related("criteria_set__procedure").get(pk=intake.pk)

    resource = questionnaire_response(intake)
    QuestionnaireResponse.model_validate(resource)

    assert resource["status"] == "in-progress"
    assert "extension" not in resource
    assert list(items_by_link_id(resource)) == ["pregnant"]


def test_draft_without_answers_has_no_items(default_set):
    """An empty draft is still a valid response (FHIR JSON has no empty arrays)."""
    intake = IntakeFactory()

    resource = questionnaire_response(intake)
    QuestionnaireResponse.model_validate(resource)

    assert "item" not in resource


def test_patient_resource_has_mrn_identifier_name_sex_and_birth_date():
    """The Patient carries the MRN as its MR identifier, the name, the sex and the birth date."""
    patient = PatientFactory(
        mrn="MRN-0042",
        first_name="Ana",
        last_name="Ruiz",
        sex=Sex.UNKNOWN,
        date_of_birth=datetime.date(1950, 2, 3),
        phone="555-0100",
    )

    resource = patient_resource(patient)
    FhirPatient.model_validate(resource)

    [identifier] = resource["identifier"]
    assert identifier["system"] == f"{BASE}/sid/mrn"
    assert identifier["value"] == "MRN-0042"
    assert identifier["type"]["coding"][0]["code"] == "MR"
    assert resource["id"] == str(patient.pk)
    assert resource["name"][0]["family"] == "Ruiz"
    assert resource["name"][0]["given"] == ["Ana"]
    assert resource["gender"] == "unknown"
    assert resource["birthDate"] == "1950-02-03"
    assert resource["telecom"] == [{"system": "phone", "value": "555-0100"}]
