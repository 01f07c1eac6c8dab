"""export_criteria / import_criteria: a round trip gives an identical set; bad files write nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from screener.models import CriteriaChange, CriteriaSet, CriteriaSetStatus, GoldenCase, Rule
from screener.services import criteria_set_clone
from screener.transfer import criteria_set_data

pytestmark = pytest.mark.django_db


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_criteria", *args, stdout=out)
    return out.getvalue()


def import_file(path) -> str:
    out = io.StringIO()
    call_command("import_criteria", str(path), stdout=out)
    return out.getvalue()


def without_identity(data: dict) -> dict:
    data = json.loads(json.dumps(data))
    del data["criteria_set"]["version"], data["criteria_set"]["status"]
    return data


@pytest.fixture
def exported(default_set, tmp_path):
    path = tmp_path / "set.json"
    path.write_text(export("vertebroplasty", "--criteria-version", "1"))
    return path


def test_round_trip_gives_an_identical_set(default_set, exported, tmp_path):
    output = import_file(exported)
    assert "Imported" in output and "as draft vertebroplasty v2" in output
    draft = CriteriaSet.objects.get(procedure__slug="vertebroplasty", version=2)
    assert draft.status == CriteriaSetStatus.DRAFT
    again = json.loads(export("vertebroplasty", "--criteria-version", "2"))
    assert without_identity(again) == without_identity(json.loads(exported.read_text()))
    assert without_identity(criteria_set_data(draft)) == without_identity(
        criteria_set_data(default_set)
    )
    assert len(again["rules"]) == 49 and len(again["golden_cases"]) == 60


def test_export_defaults_to_the_newest_published_version(default_set):
    criteria_set_clone(criteria_set=default_set)  # a draft v2 is not published
    data = json.loads(export("vertebroplasty"))
    assert (data["criteria_set"]["version"], data["criteria_set"]["status"]) == (1, "published")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "No procedure with the slug 'nosuch'."),
        (["vertebroplasty", "--criteria-version", "9"], "vertebroplasty has no version 9."),
    ],
)
def test_export_of_an_unknown_set_is_a_clear_error(default_set, args, message):
    with pytest.raises(CommandError, match=message):
        export(*args)


def test_import_never_changes_the_published_set_it_came_from(default_set, exported):
    """The file says version 1, published: the import is still a new draft, v1 unchanged."""
    data = json.loads(exported.read_text())
    data["parameters"][0]["value"] = 99
    exported.write_text(json.dumps(data))
    before = criteria_set_data(default_set)
    import_file(exported)
    assert criteria_set_data(CriteriaSet.objects.get(pk=default_set.pk)) == before
    draft = CriteriaSet.objects.get(version=2)
    assert draft.parameter_set.get(name=data["parameters"][0]["name"]).value == 99
    change = CriteriaChange.objects.get(criteria_set=draft)
    assert change.action == "imported"
    assert change.summary.startswith("Imported as draft vertebroplasty v2 (58 questions")


def _refused(path) -> str:
    sets, rules, goldens = (
        CriteriaSet.objects.count(),
        Rule.objects.count(),
        GoldenCase.objects.count(),
    )
    with pytest.raises(CommandError) as refused:
        import_file(path)
    assert (CriteriaSet.objects.count(), Rule.objects.count(), GoldenCase.objects.count()) == (
        sets,
        rules,
        goldens,
    )
    assert not CriteriaChange.objects.exists()
    return str(refused.value)


def test_malformed_json_is_refused_writing_nothing(default_set, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "spine-screener-criteria",')
    message = _refused(path)
    assert message.startswith(f"{path} is not valid JSON: Expecting property name")
    assert "Nothing was imported." in message


def test_unreadable_file_is_a_clear_error(default_set, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        import_file(tmp_path / "missing.json")


def test_json_that_is_not_a_set_is_refused(default_set, tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    assert "the file must hold one JSON object (a criteria set)" in _refused(path)


def test_every_shape_problem_is_listed(default_set, exported):
    data = json.loads(exported.read_text())
    data["rules"][0]["effect"] = "maybe"
    data["rules"][1]["emergency"] = "yes"
    data["parameters"][0]["value"] = "lots"
    del data["questions"][0]["code"]
    data["questions"][1]["colour"] = "blue"
    data["golden_cases"][0]["as_of"] = "14/03/2025"
    data["rules"][2]["code"] = data["rules"][3]["code"]
    exported.write_text(json.dumps(data))
    message = _refused(exported)
    assert "cannot be imported (7 problem(s)); nothing was imported" in message
    for line in [
        "rules[0].effect: Value 'maybe' is not a valid choice.",
        "rules[1].emergency: expected true or false, got 'yes'",
        "parameters[0].value: 'lots' is not a number",
        "questions[0].code: This field cannot be blank.",
        "questions[1]: unknown field(s) colour",
        "golden_cases[0].as_of: '14/03/2025' is not a date as YYYY-MM-DD",
        f"rules[3]: Rule {data['rules'][3]['code']} is listed twice",
    ]:
        assert f"  - {line}" in message


def test_invalid_expressions_are_refused_naming_the_rule(default_set, exported):
    data = json.loads(exported.read_text())
    rule = next(r for r in data["rules"] if r["code"] == "rf_minor")
    rule["condition"] = "age < 18"
    exported.write_text(json.dumps(data))
    assert "Rule rf_minor: unknown name 'age'" in _refused(exported)


def test_wrong_format_is_refused(default_set, exported):
    data = json.loads(exported.read_text())
    data["format"] = "something-else"
    exported.write_text(json.dumps(data))
    assert "format: expected 'spine-screener-criteria', got 'something-else'" in _refused(exported)


def test_import_of_a_new_procedure_creates_it_at_version_1(default_set, exported):
    data = json.loads(exported.read_text())
    data["procedure"] = {"slug": "kyphoplasty", "name": "Kyphoplasty", "description": ""}
    exported.write_text(json.dumps(data))
    import_file(exported)
    created = CriteriaSet.objects.get(procedure__slug="kyphoplasty")
    assert (created.version, created.status, created.procedure.name) == (1, "draft", "Kyphoplasty")
