"""Prior-authorization data of a criteria set (coverage criteria on rules, the set's coverage
policy, diagnosis codes) travels wherever a set's parts travel: clone, criteria files, the
change log, the admin, and the guards of published sets."""

from __future__ import annotations

import datetime
import io
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction

from screener import adapters, validation
from screener.models import (
    CriteriaChange,
    CriteriaSet,
    DiagnosisCode,
    ImmutableCriteriaError,
    Rule,
)
from screener.services import criteria_set_clone, criteria_set_edit_record, criteria_set_import
from screener.transfer import CriteriaFileInvalid, criteria_set_data
from tests.criteria_data import example
from tests.screener.test_admin import change_form_data, set_page, text

pytestmark = pytest.mark.django_db

COVERAGE_FIELDS = ("coverage_criterion", "coverage_group", "payer_wording", "payer_citation")


def coverage_of(criteria_set: CriteriaSet) -> dict:
    """What a packet reads of a set: policy, date, each rule's coverage fields, the codes."""
    return {
        "policy": (criteria_set.coverage_policy, criteria_set.coverage_policy_revised),
        "rules": list(
            criteria_set.rule_set.order_by("order").values_list("code", *COVERAGE_FIELDS)
        ),
        "codes": list(
            criteria_set.diagnosiscode_set.order_by("order").values_list(
                "order", "code", "description", "applies_when"
            )
        ),
    }


def test_the_default_set_carries_its_coverage_data(default_set):
    data = coverage_of(default_set)
    assert data["policy"] == ("LCD L38201", datetime.date(2024, 1, 1))
    covered = {code: group for code, covered, group, *_ in data["rules"] if covered}
    assert covered == {
        "ci_active_infection": "",
        "ci_pregnancy": "",
        "ci_pain_not_from_fracture": "",
        "pre_fracture_confirmed": "",
        "pre_level_in_range": "",
        "pre_unhealed": "",
        "pre_fracture_age": "",
        "pw_inpatient": "pain_pathway",
        "pw_outpatient_worsening": "pain_pathway",
        "pw_outpatient_findings": "pain_pathway",
        "pw_neoplastic": "pain_pathway",
    }
    wording = dict((code, wording) for code, _c, _g, wording, _cite in data["rules"])
    assert wording["ci_active_infection"].startswith("No active infection")
    assert [code for _order, code, *_ in data["codes"]] == [
        "M80.08XA",
        "M84.58XA",
        "C79.51",
        "C90.00",
        "M48.54XA",
        "M48.56XA",
    ]
    necessity = default_set.contentblock_set.get(kind="medical_necessity")
    assert (necessity.readers, necessity.shown_with) == (["physician"], [])
    assert "medically necessary" in necessity.body


def test_a_clone_keeps_every_coverage_field_and_diagnosis_code(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    assert coverage_of(draft) == coverage_of(default_set)


def test_export_and_import_keep_every_coverage_field_and_diagnosis_code(default_set, tmp_path):
    out = io.StringIO()
    call_command("export_criteria", "vertebroplasty", "--criteria-version", "1", stdout=out)
    data = json.loads(out.getvalue())
    assert data["format_version"] == 4
    assert data["criteria_set"]["coverage_policy"] == "LCD L38201"
    assert data["criteria_set"]["coverage_policy_revised"] == "2024-01-01"
    assert data["diagnosis_codes"][0] == {
        "order": 10,
        "code": "M80.08XA",
        "description": "Age-related osteoporosis with current pathological fracture, "
        "vertebra(e), initial encounter for fracture",
        "applies_when": "osteoporosis and malignancy != 'diagnosed'",
    }
    pathway = next(rule for rule in data["rules"] if rule["code"] == "pw_inpatient")
    assert (pathway["coverage_criterion"], pathway["coverage_group"]) == (True, "pain_pathway")
    path = tmp_path / "set.json"
    path.write_text(out.getvalue())
    call_command("import_criteria", str(path), stdout=io.StringIO())
    imported = CriteriaSet.objects.get(procedure__slug="vertebroplasty", version=2)
    assert coverage_of(imported) == coverage_of(default_set)


def test_a_file_of_format_3_imports_without_coverage_data(default_set):
    """Files written before the coverage data: no criteria, no policy, no codes."""
    data = criteria_set_data(default_set)
    data["format_version"] = 3
    del data["diagnosis_codes"]
    for name in ("coverage_policy", "coverage_policy_revised"):
        del data["criteria_set"][name]
    for rule in data["rules"]:
        for name in COVERAGE_FIELDS:
            del rule[name]
    draft = criteria_set_import(data=data)
    assert coverage_of(draft)["policy"] == ("", None)
    assert not draft.rule_set.filter(coverage_criterion=True).exists()
    assert not draft.diagnosiscode_set.exists()


def test_an_import_names_each_bad_coverage_field(default_set):
    data = criteria_set_data(default_set)
    data["criteria_set"]["coverage_policy_revised"] = "spring 2024"
    data["diagnosis_codes"][0]["code"] = "m80.08xa"
    data["diagnosis_codes"][1]["applies_when"] = "malignancy == 'known'"
    with pytest.raises(CriteriaFileInvalid) as refused:
        criteria_set_import(data=data)
    assert refused.value.errors == [
        "criteria_set.coverage_policy_revised: 'spring 2024' is not a date as YYYY-MM-DD",
        "diagnosis_codes[0].code: An ICD-10-CM code: a capital letter, a digit, a digit or "
        "capital letter, then optionally a dot and up to four digits or capital letters (for "
        "example S32.000A).",
    ]
    data = criteria_set_data(default_set)
    data["diagnosis_codes"][1]["applies_when"] = "malignancy == 'known'"
    pathway = next(rule for rule in data["rules"] if rule["code"] == "pw_inpatient")
    pathway["payer_wording"] = ""
    caution = next(rule for rule in data["rules"] if rule["code"] == "ca_anticoagulant")
    caution["payer_citation"] = "LCD L38201"
    with pytest.raises(CriteriaFileInvalid) as refused:
        criteria_set_import(data=data)
    assert refused.value.errors == [
        "Diagnosis code M84.58XA: 'known' is not a choice of malignancy (none, diagnosed, "
        "suspected)",
        "Rule pw_inpatient: a coverage criterion needs the payer's wording",
        "Rule ca_anticoagulant: a caution rule cannot be a coverage criterion: leave it blank "
        "(only red flags, contraindications, information rules, prerequisites and pathways can)",
    ]
    assert CriteriaSet.objects.count() == 1


def test_the_change_log_names_each_changed_coverage_field(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    before = criteria_set_data(draft)
    draft.coverage_policy_revised = datetime.date(2025, 6, 1)
    draft.save()
    Rule.objects.filter(criteria_set=draft, code="ci_pregnancy").update(
        payer_citation="LCD L38201, limitation 2"
    )
    DiagnosisCode.objects.filter(criteria_set=draft, code="C90.00").delete()
    DiagnosisCode.objects.create(
        criteria_set=draft, order=70, code="M48.55XA", description="Thoracolumbar"
    )
    change = criteria_set_edit_record(criteria_set=draft, before=before)
    assert change.details == [
        "Set coverage_policy_revised: 2024-01-01 -> 2025-06-01",
        "Rule ci_pregnancy: payer_citation LCD L38201, absolute contraindications -> "
        "LCD L38201, limitation 2",
        "Diagnosis code M48.55XA added",
        "Diagnosis code C90.00 removed",
    ]


def test_diagnosis_codes_of_a_published_set_never_change(default_set):
    code = default_set.diagnosiscode_set.get(code="M80.08XA")
    code.description = "Changed"
    refusals = [
        code.save,
        code.delete,
        lambda: DiagnosisCode.objects.filter(pk=code.pk).update(description="Changed"),
        lambda: DiagnosisCode.objects.filter(pk=code.pk).delete(),
        lambda: DiagnosisCode.objects.bulk_create(
            [DiagnosisCode(criteria_set=default_set, code="Z00.0", description="New")]
        ),
        lambda: DiagnosisCode.objects.create(
            criteria_set=default_set, code="Z00.0", description="New"
        ),
    ]
    for refused in refusals:
        with pytest.raises(ImmutableCriteriaError), transaction.atomic():
            refused()
    assert default_set.diagnosiscode_set.count() == 6
    assert default_set.diagnosiscode_set.get(code="M80.08XA").description.startswith("Age-")
    default_set.coverage_policy = "LCD L99999"
    with pytest.raises(ImmutableCriteriaError):
        default_set.save()


def test_a_diagnosis_code_is_checked_for_its_format_on_its_field(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    for good in ("M80.08XA", "C79.51", "M1A.0110", "A01"):
        DiagnosisCode(criteria_set=draft, code=good, description="x").full_clean(
            validate_unique=False, validate_constraints=False
        )
    for bad in ("m80.08xa", "M80.", "M8008XA", "80.08XA", "M80.08XAB"):
        with pytest.raises(ValidationError) as refused:
            DiagnosisCode(criteria_set=draft, code=bad, description="x").full_clean(
                validate_unique=False, validate_constraints=False
            )
        assert list(refused.value.message_dict) == ["code"], bad


def test_stored_answers_suggest_diagnosis_codes_through_the_adapter(default_set):
    case = example("ex-three-thoracic-levels.json")
    as_of = datetime.date.fromisoformat(case["as_of"])
    codes = adapters.diagnosis_codes(default_set, case["answers"], as_of=as_of)
    assert [(d.code, d.description[:22]) for d in codes] == [("M80.08XA", "Age-related osteoporos")]
    stored = case["answers"] | {"osteoporosis": False, "unknown_question": 3}
    assert [d.code for d in adapters.diagnosis_codes(default_set, stored, as_of=as_of)] == [
        "M48.54XA"
    ]


# ------------------------------------------------------------------------------------------
# Admin: the set's fields, the rule inline's coverage fields, the diagnosis codes' inline


def test_the_admin_shows_the_coverage_policy_and_the_diagnosis_codes(client_admin, default_set):
    page = text(client_admin.get(set_page(default_set, "coding")))
    assert "LCD L38201" in page and "Coverage policy revised" in page
    assert "Diagnosis codes" in page
    assert "M84.58XA" in page and "malignancy == &#x27;diagnosed&#x27;" in page
    rules = text(client_admin.get(set_page(default_set, "rules")))
    assert "No active infection: none being treated" in rules
    assert "LCD L38201, absolute contraindications" in rules


def test_a_draft_saved_with_a_coverage_problem_shows_it_on_its_field(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    page = set_page(draft, "rules")
    data = change_form_data(client_admin, page)
    rows = {data[k]: k.removesuffix("-code") for k in data if re.fullmatch(r"rule_set-\d+-code", k)}
    data[f"{rows['pw_inpatient']}-payer_wording"] = ""
    data[f"{rows['ca_improving']}-coverage_criterion"] = "on"
    response = client_admin.post(page, data)
    assert response.status_code == 200
    formset = next(
        fs.formset for fs in response.context["inline_admin_formsets"] if fs.formset.model is Rule
    )
    errors = {f.instance.code: f.errors for f in formset.forms if f.errors}
    assert errors == {
        "pw_inpatient": {
            "payer_wording": ["Rule pw_inpatient: a coverage criterion needs the payer's wording"]
        },
        "ca_improving": {
            "coverage_criterion": [
                "Rule ca_improving: a caution rule cannot be a coverage criterion: leave it "
                "blank (only red flags, contraindications, information rules, prerequisites and "
                "pathways can)"
            ]
        },
    }
    assert Rule.objects.get(criteria_set=draft, code="pw_inpatient").payer_wording


def test_a_diagnosis_code_added_in_the_admin_is_checked_and_logged(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    page = set_page(draft, "coding")
    data = change_form_data(client_admin, page)
    prefix = "diagnosiscode_set"
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
    new = {"order": "70", "code": "M48.55XA", "description": "Collapsed vertebra, thoracolumbar"}
    data.update({f"{prefix}-{total}-{name}": value for name, value in new.items()})
    data[f"{prefix}-{total}-criteria_set"] = str(draft.pk)
    data[f"{prefix}-{total}-applies_when"] = "fracture_level in ['T12', 'L1'] and not osteoprosis"
    response = client_admin.post(page, data)
    assert response.status_code == 200
    assert "Diagnosis code M48.55XA: unknown name &#x27;osteoprosis&#x27;" in text(response)
    assert not draft.diagnosiscode_set.filter(code="M48.55XA").exists()

    data[f"{prefix}-{total}-applies_when"] = "fracture_level in ['T12', 'L1'] and not osteoporosis"
    response = client_admin.post(page, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert draft.diagnosiscode_set.get(code="M48.55XA").order == 70
    assert CriteriaChange.objects.get(criteria_set=draft, action="edited").details == [
        "Diagnosis code M48.55XA added"
    ]


def test_row_edit_errors_place_a_diagnosis_problem_on_its_field(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    code = draft.diagnosiscode_set.get(code="M80.08XA")
    code.applies_when = "osteoporosis and"
    errors = validation.row_edit_errors(code)
    assert [(e.field, e.message.split(":")[0]) for e in errors] == [
        ("applies_when", "Diagnosis code M80.08XA")
    ]
