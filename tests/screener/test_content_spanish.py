"""A content block's Spanish title and body travel with the set: clone, criteria files (a
file written before they existed still imports) and the change log's diff."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from screener.models import ContentBlock, CriteriaSet
from screener.services import criteria_set_check, criteria_set_clone
from screener.transfer import criteria_set_data, snapshot_diff

pytestmark = pytest.mark.django_db

SPANISH = "Llame al 911 o vaya ahora a la sala de emergencias más cercana."


def emergency_block(criteria_set: CriteriaSet) -> ContentBlock:
    return criteria_set.contentblock_set.get(kind="patient_emergency")


def import_file(path) -> str:
    out = io.StringIO()
    call_command("import_criteria", str(path), stdout=out)
    return out.getvalue()


def test_a_clone_carries_the_spanish_text(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    block = emergency_block(draft)
    assert (block.title_es, SPANISH in block.body_es) == ("Busque ayuda ahora", True)


def test_a_criteria_file_carries_the_spanish_text_both_ways(default_set, tmp_path):
    out = io.StringIO()
    call_command("export_criteria", "vertebroplasty", "--criteria-version", "1", stdout=out)
    data = json.loads(out.getvalue())
    (exported,) = [b for b in data["content_blocks"] if b["kind"] == "patient_emergency"]
    assert exported["title_es"] == "Busque ayuda ahora" and SPANISH in exported["body_es"]

    path = tmp_path / "set.json"
    path.write_text(json.dumps(data))
    assert "as draft vertebroplasty v2" in import_file(path)
    imported = emergency_block(CriteriaSet.objects.get(procedure__slug="vertebroplasty", version=2))
    assert (imported.title_es, imported.body_es) == (
        emergency_block(default_set).title_es,
        emergency_block(default_set).body_es,
    )


def test_a_file_written_before_the_spanish_text_still_imports(default_set, tmp_path):
    data = criteria_set_data(default_set)
    for block in data["content_blocks"]:
        del block["title_es"], block["body_es"]
    path = tmp_path / "older.json"
    path.write_text(json.dumps(data))
    assert "as draft vertebroplasty v2" in import_file(path)
    imported = emergency_block(CriteriaSet.objects.get(procedure__slug="vertebroplasty", version=2))
    assert (imported.title_es, imported.body_es) == ("", "")
    assert imported.body == emergency_block(default_set).body


def test_the_change_log_names_a_changed_spanish_body(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    before = criteria_set_data(draft)
    block = emergency_block(draft)
    block.body_es = "Llame al 911."
    block.full_clean()
    block.save()
    lines = snapshot_diff(before, criteria_set_data(draft))
    assert any("patient_emergency" in line and "body_es" in line for line in lines), lines


def test_a_spanish_placeholder_naming_no_parameter_is_a_problem(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    ContentBlock.objects.filter(criteria_set=draft, kind="patient_emergency").update(
        body_es="Llame al {telefono_de_guardia}."
    )
    problems = [p.message for p in criteria_set_check(draft)]
    assert any("{telefono_de_guardia} names no parameter" in p for p in problems), problems
