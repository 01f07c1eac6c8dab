"""A criteria set as a FHIR R4 Questionnaire: the command, the admin download, and the made-up
second set (procedure facts are data), each validated with fhir.resources' R4B model."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from fhir.resources.R4B.questionnaire import Questionnaire

from intake.fhir.questionnaire import questionnaire_export
from screener.models import CriteriaSet
from tests.factories import FrontDeskFactory
from tests.intake.fhir.conftest import BASE
from tests.screener.test_admin import url

pytestmark = pytest.mark.django_db

LONG_CONDITION = (
    "not hospitalized and malignancy != 'diagnosed' and pain_trend in ['stable', 'improving'] "
    "and pain_nrs >= nrs_outpatient_min"
)


def items_by_link_id(resource: dict) -> dict[str, dict]:
    return {item["linkId"]: item for group in resource["item"] for item in group["item"]}


def export_command(*args: str) -> tuple[dict, str]:
    out, err = StringIO(), StringIO()
    call_command("export_fhir", "questionnaire", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


def test_default_set_questionnaire_names_its_version_and_groups_sections(default_set):
    """The Questionnaire is the set's canonical URL and version, one group per section, every
    question asked an item (those the app fills from the record are not asked)."""
    resource, _ = export_command("--procedure", "vertebroplasty")
    Questionnaire.model_validate(resource)

    assert resource["id"] == str(default_set.pk)
    assert resource["url"] == f"{BASE}/Questionnaire/vertebroplasty"
    assert resource["version"] == "1"
    assert resource["status"] == "active"
    asked = [q for q in default_set.question_set.order_by("order", "id") if not q.filled_by_app]
    assert list(items_by_link_id(resource)) == [q.code for q in asked]
    assert [g["text"] for g in resource["item"]] == list(dict.fromkeys(q.section for q in asked))
    assert {g["type"] for g in resource["item"]} == {"group"}
    assert "age_years" not in items_by_link_id(resource)


def test_items_carry_types_choices_ranges_and_required(default_set):
    """Types, answer options, min/max extensions, required, the answer's source and the help
    text as a display item."""
    resource, _ = export_command("--procedure", "vertebroplasty", "--criteria-version", "1")
    items = items_by_link_id(resource)

    assert items["hospitalized"]["type"] == "boolean"
    assert items["hospitalized"]["required"] is True
    assert items["inr"]["type"] == "decimal"
    assert "required" not in items["inr"]
    assert items["symptom_onset_date"]["type"] == "date"
    pain = items["pain_nrs"]
    assert pain["type"] == "integer"
    assert pain["text"] == default_set.question_set.get(code="pain_nrs").prompt
    assert {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0} in pain[
        "extension"
    ]
    assert {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 10} in pain[
        "extension"
    ]
    assert {
        "url": f"{BASE}/StructureDefinition/answer-source",
        "valueCoding": {"system": f"{BASE}/CodeSystem/answer-source", "code": "patient"},
    } in pain["extension"]
    assert {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueDecimal": 10.0} in (
        items["inr"]["extension"]
    )
    assert items["hospitalized"]["item"] == [
        {
            "linkId": "hospitalized.help",
            "text": default_set.question_set.get(code="hospitalized").help_text,
            "type": "display",
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl",
                    "valueCodeableConcept": {
                        "coding": [
                            {
                                "system": "http://hl7.org/fhir/questionnaire-item-control",
                                "code": "help",
                            }
                        ]
                    },
                }
            ],
        }
    ]
    trend = items["pain_trend"]
    assert trend["type"] == "choice"
    assert [o["valueCoding"]["code"] for o in trend["answerOption"]] == [
        "worsening",
        "stable",
        "improving",
    ]
    assert trend["answerOption"][0]["valueCoding"] == {
        "system": f"{BASE}/Questionnaire/vertebroplasty/choices/pain_trend",
        "code": "worsening",
        "display": "Worsening",
    }


def test_expressible_required_when_becomes_enable_when(default_set):
    """A question required when a bare yes/no holds, when one of two holds, or when one does
    not: required, with the condition as enableWhen."""
    resource, _ = export_command("--procedure", "vertebroplasty")
    items = items_by_link_id(resource)

    level = items["fracture_level"]
    assert level["required"] is True
    assert level["enableWhen"] == [
        {"question": "fracture_confirmed", "operator": "=", "answerBoolean": True}
    ]
    assert "enableBehavior" not in level
    edema = items["edema_or_uptake"]
    assert edema["enableWhen"] == [
        {"question": "mri_done", "operator": "=", "answerBoolean": True},
        {"question": "bone_scan_done", "operator": "=", "answerBoolean": True},
    ]
    assert edema["enableBehavior"] == "any"
    assert items["pain_trend"]["enableWhen"] == [
        {"question": "hospitalized", "operator": "!=", "answerBoolean": True}
    ]


def test_inexpressible_conditions_are_listed_and_kept_as_an_extension(default_set):
    """A condition enableWhen cannot say is printed on stderr and carried in the item's
    required-when extension; the item is optional and always shown."""
    resource, stderr = export_command("--procedure", "vertebroplasty")
    items = items_by_link_id(resource)

    pregnant = items["pregnant"]
    assert "enableWhen" not in pregnant
    assert "required" not in pregnant
    assert {
        "url": f"{BASE}/StructureDefinition/required-when",
        "valueString": "age_years < 55 and patient_sex != 'male'",
    } in pregnant["extension"]
    assert {
        "url": f"{BASE}/StructureDefinition/required-when",
        "valueString": LONG_CONDITION,
    } in items["rdq_score"]["extension"]
    lines = stderr.strip().splitlines()
    listed = [line.split(":", 1)[0] for line in lines]
    assert listed == [
        "pregnant",
        "height_loss_percent",
        "height_loss_progressing",
        "kyphotic_deformity",
        "rdq_score",
    ]
    assert "age_years is filled by the app from the patient's record" in lines[0]
    assert "'in' a list inside 'and'" in lines[-1]
    with_condition = [
        code
        for code, item in items.items()
        if any(e["url"].endswith("/required-when") for e in item["extension"])
    ]
    assert with_condition == listed


def test_second_set_exports_its_own_questions(knee_set):
    """The made-up procedure exports its own items: nothing of the default set is in code."""
    resource, _ = export_command("--procedure", "knee_block")
    Questionnaire.model_validate(resource)

    assert resource["url"] == f"{BASE}/Questionnaire/knee_block"
    asked = [q.code for q in knee_set.question_set.order_by("order", "id") if not q.filled_by_app]
    assert list(items_by_link_id(resource)) == asked
    assert items_by_link_id(resource)["injury_date"]["type"] == "date"


def test_a_draft_exports_as_draft(default_set):
    """A draft version (named by its number) is a draft Questionnaire."""
    from screener.services import criteria_set_clone

    draft = criteria_set_clone(criteria_set=default_set)
    resource, _ = export_command("--procedure", "vertebroplasty", "--criteria-version", "2")
    Questionnaire.model_validate(resource)
    assert resource["status"] == "draft"
    assert resource["id"] == str(draft.pk)
    assert resource["version"] == "2"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--procedure", "nope"), "No procedure with the slug 'nope'."),
        (("--procedure", "vertebroplasty", "--criteria-version", "9"), "has no version 9"),
    ],
)
def test_command_refuses_unknown_procedure_or_version(default_set, args, message):
    with pytest.raises(CommandError, match=message):
        export_command(*args)


def test_criteria_admin_downloads_the_questionnaire(client_admin, default_set):
    """The set's admin page offers the Questionnaire as a FHIR JSON file."""
    page = client_admin.get(url("criteriaset_change", default_set.pk)).content.decode()
    link = url("criteriaset_fhir_questionnaire", default_set.pk)
    assert f'href="{link}"' in page
    assert "Export FHIR Questionnaire" in page

    response = client_admin.get(link)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert response["Content-Disposition"] == (
        'attachment; filename="vertebroplasty-v1-questionnaire.json"'
    )
    resource = json.loads(response.content)
    Questionnaire.model_validate(resource)
    assert resource == questionnaire_export(CriteriaSet.objects.get(pk=default_set.pk)).resource


def test_front_desk_cannot_download_the_questionnaire(default_set):
    """Only those who may view criteria sets (criteria admins) download it."""
    client = Client()
    client.force_login(FrontDeskFactory(is_staff=True))
    response = client.get(url("criteriaset_fhir_questionnaire", default_set.pk))
    assert response.status_code == 403


def test_a_patient_question_carries_its_patient_wording_and_spanish_translation(default_set):
    """The patient's own wording of a question (their link's), with its Spanish as FHIR's
    translation extension; the resource still validates."""
    from fhir.resources.R4B.questionnaire import Questionnaire

    from intake.fhir.canonical import TRANSLATION_EXTENSION, patient_prompt_extension_url
    from intake.fhir.questionnaire import questionnaire_export
    from screener.models import Question

    question = Question.objects.filter(criteria_set=default_set, code="pain_nrs").get()
    assert question.patient_prompt and question.patient_prompt_es
    resource = questionnaire_export(default_set).resource
    Questionnaire.model_validate(resource)
    items = {item["linkId"]: item for group in resource["item"] for item in group.get("item", [])}
    prompt = next(
        e for e in items["pain_nrs"]["extension"] if e["url"] == patient_prompt_extension_url()
    )
    text, translation = prompt["extension"]
    assert text == {"url": "text", "valueString": question.patient_prompt}
    assert translation["url"] == TRANSLATION_EXTENSION
    assert {"url": "lang", "valueCode": "es"} in translation["extension"]
    assert {"url": "content", "valueString": question.patient_prompt_es} in translation["extension"]
    # A question of the chart has no patient wording.
    assert not any(
        e["url"] == patient_prompt_extension_url()
        for e in items["hospitalized"].get("extension", [])
    )
