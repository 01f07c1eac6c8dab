"""``manage.py import_fhir_response``: a draft intake prefilled from a QuestionnaireResponse;
the round trip (export, import for the same patient, the same answers) for the default set, for
every example case and for the made-up second set; every bad input refused naming the item,
exit status 1, nothing created."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from intake.models import AuditAction, AuditEvent, Intake, IntakeStatus
from tests.criteria_data import ROOT, example, examples
from tests.factories import PatientFactory
from tests.intake.fhir.conftest import BASE
from tests.intake.fhir.helpers import NOW, export_response, items_by_link_id, submitted_intake

pytestmark = pytest.mark.django_db

EXAMPLE_NAMES = [name for name, _case in examples()]


def import_file(tmp_path: Path, resource: dict | str, mrn: str) -> str:
    path = tmp_path / "response.json"
    path.write_text(resource if isinstance(resource, str) else json.dumps(resource))
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("import_fhir_response", str(path), "--patient", mrn, stdout=out)
    return out.getvalue()


def newest_draft(patient) -> Intake:
    return Intake.objects.get(patient=patient, status=IntakeStatus.DRAFT)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_round_trip_of_every_example_gives_the_same_answers(default_set, tmp_path, name):
    """Export a submitted example's response, import it for the same patient: a new draft with
    the same answers."""
    patient = PatientFactory()
    intake = submitted_intake(patient, example(name)["answers"])

    output = import_file(tmp_path, export_response(intake.pk), patient.mrn)

    draft = newest_draft(patient)
    assert draft.pk != intake.pk
    assert draft.answers == intake.answers
    assert draft.criteria_set == default_set
    assert output == f"Draft intake {draft.pk} created with {len(intake.answers)} answers.\n"


def test_round_trip_of_the_second_set(knee_set, tmp_path):
    """The made-up procedure round-trips too: the draft is of that procedure."""
    patient = PatientFactory()
    answers = {
        "injury_date": "2025-02-01",
        "knee_side": knee_set.question_set.get(code="knee_side").choices[0],
        "knee_pain": 6,
        "hot_swollen_knee": False,
        "steroid_last_month": False,
    }
    intake = submitted_intake(patient, answers, criteria_set=knee_set)

    import_file(tmp_path, export_response(intake.pk), patient.mrn)

    draft = newest_draft(patient)
    assert draft.procedure.slug == "knee_block"
    assert draft.answers == intake.answers == answers


def test_import_is_audited_as_a_creation(default_set, tmp_path):
    patient = PatientFactory()
    intake = submitted_intake(patient, example("ex-fever.json")["answers"])
    import_file(tmp_path, export_response(intake.pk), patient.mrn)

    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == AuditAction.CREATE
    assert event.username == "manage.py import_fhir_response"
    assert event.patient_id == patient.pk
    assert event.object_id == str(newest_draft(patient).pk)


def minimal(answers: list[dict]) -> dict:
    """A response from another system: no ids, only the questionnaire and flat items."""
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{BASE}/Questionnaire/vertebroplasty|1",
        "status": "completed",
        "item": answers,
    }


def test_a_flat_response_from_another_system_is_imported(default_set, tmp_path):
    """Items need not sit in groups; a Coding without a system is read by its code."""
    patient = PatientFactory()
    import_file(
        tmp_path,
        minimal(
            [
                {"linkId": "pain_nrs", "answer": [{"valueInteger": 8}]},
                {"linkId": "pain_trend", "answer": [{"valueCoding": {"code": "stable"}}]},
                {"linkId": "inr", "answer": [{"valueDecimal": 1.1}]},
                {"linkId": "hospitalized"},  # unanswered: left blank
            ]
        ),
        patient.mrn,
    )
    assert newest_draft(patient).answers == {"pain_nrs": 8, "pain_trend": "stable", "inr": 1.1}


def bad(resource: dict, change) -> dict:
    changed = copy.deepcopy(resource)
    change(changed)
    return changed


def set_answer(link_id: str, answer: dict):
    def change(resource: dict) -> None:
        for group in resource["item"]:
            for item in group["item"]:
                if item["linkId"] == link_id:
                    item["answer"] = [answer]

    return change


def add_item(item: dict):
    return lambda resource: resource["item"][0]["item"].append(item)


BAD_INPUTS = [
    (
        add_item({"linkId": "favourite_colour", "answer": [{"valueString": "blue"}]}),
        "item favourite_colour: not a question of vertebroplasty v1",
    ),
    (
        set_answer("pain_nrs", {"valueString": "8"}),
        "item pain_nrs: expected valueInteger (a whole number), got valueString",
    ),
    (
        set_answer("hospitalized", {"valueInteger": 1}),
        "item hospitalized: expected valueBoolean (true or false), got valueInteger",
    ),
    (set_answer("pain_nrs", {"valueInteger": 11}), "item pain_nrs: 11 is above the maximum 10"),
    (
        add_item({"linkId": "pain_trend", "answer": [{"valueCoding": {"code": "sideways"}}]}),
        "item pain_trend: 'sideways' is not one of: worsening, stable, improving",
    ),
    (
        add_item(
            {
                "linkId": "pain_trend",
                "answer": [{"valueCoding": {"system": "http://x.example", "code": "stable"}}],
            }
        ),
        "item pain_trend: the Coding's system 'http://x.example' is not this question's choices",
    ),
    (
        set_answer("symptom_onset_date", {"valueDate": "2025-03"}),
        "item symptom_onset_date: expected a date as YYYY-MM-DD, got '2025-03'",
    ),
    (
        set_answer("symptom_onset_date", {"valueDate": "2025-04-01"}),
        "item symptom_onset_date:",  # after today (the import's date)
    ),
    (
        add_item({"linkId": "age_years", "answer": [{"valueInteger": 70}]}),
        "item age_years: is filled by the app from the patient's record",
    ),
    (
        set_answer("pain_nrs", {}),
        "item pain_nrs: expected valueInteger (a whole number), got no value",
    ),
    (
        lambda r: r.update(questionnaire="http://elsewhere.example/Questionnaire/vertebroplasty"),
        "questionnaire: 'http://elsewhere.example/Questionnaire/vertebroplasty' is not one of "
        "this clinic's Questionnaires",
    ),
    (
        lambda r: r.update(questionnaire=f"{BASE}/Questionnaire/knee_surgery|1"),
        "questionnaire: 'https://clinic.example/fhir/Questionnaire/knee_surgery' is not one of",
    ),
    (
        lambda r: r.update(questionnaire=f"{BASE}/Questionnaire/vertebroplasty|7"),
        "questionnaire: vertebroplasty has no version '7'",
    ),
    (lambda r: r.pop("questionnaire"), "questionnaire: missing: name the Questionnaire answered"),
    (
        lambda r: r["contained"][0]["identifier"][0].update(value="SOMEONE-ELSE"),
        "subject: the response names another patient (MRN differs)",
    ),
    (
        lambda r: r.update(resourceType="Questionnaire"),
        "resourceType: expected QuestionnaireResponse, got 'Questionnaire'",
    ),
]


@pytest.mark.parametrize(("change", "message"), BAD_INPUTS, ids=[m for _c, m in BAD_INPUTS])
def test_bad_input_names_the_item_and_creates_nothing(default_set, tmp_path, change, message):
    patient = PatientFactory()
    intake = submitted_intake(patient, example("ex-inpatient-candidate.json")["answers"])
    resource = bad(export_response(intake.pk), change)
    intakes, events = Intake.objects.count(), AuditEvent.objects.count()

    with pytest.raises(CommandError) as raised:
        import_file(tmp_path, resource, patient.mrn)

    assert str(raised.value).startswith(message)
    assert Intake.objects.count() == intakes
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "malformed JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "expected a JSON object (a FHIR resource)"),
        ("{}", "resourceType: expected QuestionnaireResponse, got null"),
    ],
)
def test_malformed_files_are_refused(default_set, tmp_path, text, message):
    patient = PatientFactory()
    with pytest.raises(CommandError) as raised:
        import_file(tmp_path, text, patient.mrn)
    assert str(raised.value).startswith(message)
    assert not Intake.objects.filter(patient=patient).exists()


def test_an_existing_draft_is_not_overwritten(default_set, tmp_path):
    """A patient with a draft for the procedure keeps it; the import is refused."""
    patient = PatientFactory()
    intake = submitted_intake(patient, example("ex-fever.json")["answers"])
    resource = export_response(intake.pk)
    import_file(tmp_path, resource, patient.mrn)
    draft = newest_draft(patient)

    with pytest.raises(CommandError, match="already has a draft intake for vertebroplasty"):
        import_file(tmp_path, resource, patient.mrn)
    assert Intake.objects.filter(patient=patient, status=IntakeStatus.DRAFT).get() == draft


def test_unknown_patient_is_refused(default_set, tmp_path):
    with pytest.raises(CommandError, match="--patient: no patient has that MRN"):
        import_file(tmp_path, minimal([]), "NOBODY")


def test_the_command_exits_with_status_1_on_an_error(tmp_path):
    """Run as a program, an error is one line on stderr and the exit status is 1."""
    path = tmp_path / "response.json"
    path.write_text("{not json")
    done = subprocess.run(
        [sys.executable, "manage.py", "import_fhir_response", str(path), "--patient", "X"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("CommandError:")


def test_exported_and_imported_items_match_the_questionnaire(default_set):
    """Every linkId of an exported response is an item of the exported Questionnaire."""
    out = StringIO()
    call_command("export_fhir", "questionnaire", "--procedure", "vertebroplasty", stdout=out)
    questionnaire = json.loads(out.getvalue())
    intake = submitted_intake(PatientFactory(), example("ex-cauda-equina.json")["answers"])
    response = export_response(intake.pk)
    assert set(items_by_link_id(response)) <= set(items_by_link_id(questionnaire))
    assert [g["linkId"] for g in response["item"]] == [
        g["linkId"]
        for g in questionnaire["item"]
        if g["linkId"] in {r["linkId"] for r in response["item"]}
    ]
