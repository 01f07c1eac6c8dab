"""``import_criteria --default SLUG``: an existing install takes a new default revision as a draft.

The shipped fixture is revision 2 of the default set. An install that holds an older default
gets it as the procedure's next draft, which then goes through golden cases, publish and
re-screen like any change; a fresh install (which loaded the fixture) gets nothing new.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import models

from screener.golden import golden_cases_run
from screener.models import CriteriaChange, CriteriaSet, CriteriaSetStatus, Procedure
from screener.services import criteria_set_import, criteria_set_publish
from screener.transfer import (
    SECTIONS,
    SET_FIELDS,
    DefaultCriteriaUnavailable,
    criteria_set_data,
    default_criteria_data,
)
from tests.criteria_data import EXAMPLES_DIR, FIXTURE, ROOT

SLUG = "vertebroplasty"

# What revision 2 added to the default set ("Revision 2: what changed"), by section and key.
REVISION_2_ADDED = {
    "questions": {"advanced_imaging_date"},
    "parameters": {"early_care_weeks"},
    "rules": {"ni_imaging_predates_onset", "ca_early_care"},
    "content_blocks": {"procedure_description", "evidence_summary", "conservative_handout"},
    "golden_cases": {"ex-mri-before-onset", "rule-ni_imaging_predates_onset", "rule-ca_early_care"},
}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_criteria", *args, stdout=out)
    return out.getvalue()


def revision_1_data() -> dict[str, Any]:
    """The default set as an install of revision 1 holds it: revision 2's additions left out."""
    data = default_criteria_data(SLUG)
    data["criteria_set"]["notes"] = "Revision 1 of the default set."
    for section, added in REVISION_2_ADDED.items():
        key = SECTIONS[section][1]
        data[section] = [part for part in data[section] if part[key] not in added]
    for case in data["golden_cases"]:
        case["answers"].pop("advanced_imaging_date", None)
    return data


def fixture_sections() -> dict[str, list[dict[str, Any]]]:
    """Each section's records as the fixture writes them (without their set), in set order."""
    records = json.loads(FIXTURE.read_text())
    sections = {}
    for section, (model, _key, _label) in SECTIONS.items():
        rows = [r["fields"] for r in records if r["model"] == model._meta.label_lower]
        sections[section] = [
            comparable(model, {k: v for k, v in row.items() if k != "criteria_set"})
            for row in sorted(rows, key=lambda row: row["order"])
        ]
    return sections


def comparable(model: type[models.Model], row: dict[str, Any]) -> dict[str, Any]:
    """Decimals as Decimal: the fixture writes "1.5", an export writes 1.5."""
    decimals = {f.name for f in model._meta.fields if isinstance(f, models.DecimalField)}
    return {
        name: Decimal(str(value)) if name in decimals and value is not None else value
        for name, value in row.items()
    }


@pytest.fixture
def empty_database(db):
    """No procedure, no criteria, nothing at all (the test's transaction puts it all back)."""
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert not Procedure.objects.exists()


@pytest.fixture
def revision_1_install(empty_database) -> CriteriaSet:
    """An install whose default set, published as v1, is the older revision."""
    return criteria_set_publish(criteria_set=criteria_set_import(data=revision_1_data()))


# ------------------------------------------------------------------------------------------
# default_criteria_data: the fixture as criteria data


def test_default_data_reads_the_fixture_without_a_database():
    """Sections in set order, numbers as numbers, and no version or status of its own."""
    data = default_criteria_data(SLUG)
    assert list(data) == [
        "format",
        "format_version",
        "procedure",
        "criteria_set",
        *SECTIONS,
    ]
    assert data["procedure"] == {
        "slug": SLUG,
        "name": "Percutaneous vertebroplasty",
        "description": (
            "Cement injected into a painful vertebral compression fracture "
            "(CPT 22510, 22511, +22512)."
        ),
    }
    assert list(data["criteria_set"]) == list(SET_FIELDS)
    assert {section: len(data[section]) for section in SECTIONS} == {
        "questions": 58,
        "parameters": 11,
        "derived_values": 3,
        "rules": 49,
        "coding_table": 4,
        "diagnosis_codes": 6,
        "follow_up_visits": 3,
        "content_blocks": 13,
        "golden_cases": 60,
    }
    age = data["questions"][0]
    assert (age["code"], age["min_value"], age["max_value"]) == ("age_years", 0, 120)
    assert "criteria_set" not in age
    inr_max = next(p for p in data["parameters"] if p["name"] == "inr_max")
    assert inr_max["value"] == 1.5


def test_default_data_equals_the_export_of_the_loaded_fixture(default_set):
    """What loaddata stores, export gives back: the conversion is criteria_set_data's shape."""
    exported = criteria_set_data(default_set)
    del exported["criteria_set"]["version"], exported["criteria_set"]["status"]
    assert default_criteria_data(SLUG) == exported


def test_default_data_takes_the_highest_version_and_model_defaults(settings, tmp_path):
    """A fixture may hold several versions; a field a record leaves out gets its default."""
    records = json.loads(FIXTURE.read_text())
    older = [
        r | {"fields": r["fields"] | {"version": 1, "notes": "older"}}
        for r in records
        if r["model"] == "screener.criteriaset"
    ]
    newer = []
    for record in records:
        fields = dict(record["fields"])
        if record["model"] == "screener.criteriaset":
            fields["version"] = 2
        elif "criteria_set" in fields:
            fields["criteria_set"] = [SLUG, 2]
            fields.pop("help_text", None)
        newer.append(record | {"fields": fields})
    (tmp_path / f"{SLUG}.json").write_text(json.dumps(older + newer))
    settings.FIXTURE_DIRS = [tmp_path / "elsewhere", tmp_path]
    data = default_criteria_data(SLUG)
    assert data["criteria_set"]["notes"].startswith("Revision 2 of the default set")
    assert len(data["rules"]) == 49
    assert {q["help_text"] for q in data["questions"]} == {""}


@pytest.mark.parametrize(
    ("slug", "content", "message"),
    [
        (
            "nosuch",
            None,
            "No default criteria for 'nosuch': no nosuch.json in the fixture folders ({dir}).",
        ),
        (
            "../fixtures/vertebroplasty",
            None,
            "'../fixtures/vertebroplasty' is not a procedure slug.",
        ),
        (
            "demo",
            "[{",
            "{dir}/demo.json is not valid JSON: Expecting property name enclosed in double "
            "quotes: line 1 column 3 (char 2)",
        ),
        ("demo", '{"model": "x"}', "{dir}/demo.json is not a fixture (a list of records)."),
        (
            "demo",
            '[{"model": "auth.group", "fields": {"name": "x"}}]',
            "{dir}/demo.json holds no criteria set for 'demo'.",
        ),
    ],
    ids=["no fixture", "not a slug", "not JSON", "not a list", "no set for the slug"],
)
def test_default_data_refuses_a_missing_or_unusable_fixture(
    settings, tmp_path, slug, content, message
):
    settings.FIXTURE_DIRS = [tmp_path]
    if content is not None:
        (tmp_path / f"{slug}.json").write_text(content)
    with pytest.raises(DefaultCriteriaUnavailable) as refused:
        default_criteria_data(slug)
    assert str(refused.value) == message.format(dir=tmp_path)


# ------------------------------------------------------------------------------------------
# The command on an install with the older default set


def test_older_install_gets_revision_2_as_a_draft(revision_1_install, tmp_path):
    """v1 (revision 1, published) stays; v2 is a draft equal to the fixture; its golden
    cases pass; publishing it works; the screen command then uses the new rule."""
    before = criteria_set_data(revision_1_install)
    output = run("--default", SLUG)
    assert output == (
        f"Imported the default criteria {FIXTURE} as draft vertebroplasty v2 "
        "(58 questions, 49 rules, 60 golden cases).\n"
    )
    draft = CriteriaSet.objects.get(procedure__slug=SLUG, version=2)
    assert draft.status == CriteriaSetStatus.DRAFT
    assert criteria_set_data(CriteriaSet.objects.get(pk=revision_1_install.pk)) == before
    questions = list(draft.question_set.values_list("code", flat=True))
    assert questions.index("advanced_imaging_date") == questions.index("edema_or_uptake") + 1
    assert {"ni_imaging_predates_onset", "ca_early_care"} <= set(
        draft.rule_set.values_list("code", flat=True)
    )
    change = CriteriaChange.objects.get(criteria_set=draft)
    assert (change.action, change.summary) == (
        "imported",
        "Imported as draft vertebroplasty v2 (58 questions, 11 parameters, 3 derived values, "
        "49 rules, 4 coding rows, 6 diagnosis codes, 3 follow-up visits, 13 content blocks, "
        "60 golden cases)",
    )

    results = golden_cases_run(draft)
    assert len(results) == 60
    assert [r.case.name for r in results if not r.passed] == []

    out = io.StringIO()
    call_command("export_criteria", SLUG, "--criteria-version", "2", stdout=out)
    exported = json.loads(out.getvalue())
    assert exported["criteria_set"]["status"] == "draft"
    fixture_set = json.loads(FIXTURE.read_text())[-1]["fields"]  # the published set record
    assert {name: exported["criteria_set"][name] for name in SET_FIELDS} == {
        name: fixture_set[name] for name in SET_FIELDS
    }
    assert {
        section: [comparable(SECTIONS[section][0], row) for row in exported[section]]
        for section in SECTIONS
    } == fixture_sections()

    published = criteria_set_publish(criteria_set=draft)
    assert published.status == CriteriaSetStatus.PUBLISHED
    out = io.StringIO()
    call_command("screen", str(EXAMPLES_DIR / "ex-mri-before-onset.json"), stdout=out)
    line = json.loads(out.getvalue())
    holding = [rule["code"] for rule in line["rules"] if rule["holds"]]
    assert (line["criteria_set"]["version"], line["outcome"]) == (2, "needs_info")
    assert "ni_imaging_predates_onset" in holding


def test_running_it_again_leaves_the_one_draft(revision_1_install):
    """A second run finds the draft holding the default content and imports nothing."""
    run("--default", SLUG)
    output = run("--default", SLUG)
    assert output == (
        f"Nothing imported: draft vertebroplasty v2 already holds the default criteria "
        f"{FIXTURE}. Run its golden cases and impact preview, then publish it, in Django admin.\n"
    )
    assert list(CriteriaSet.objects.values_list("version", flat=True).order_by("version")) == [
        1,
        2,
    ]


def test_an_edited_draft_does_not_stop_a_fresh_copy(revision_1_install):
    """Only identical content counts: once the admin edits the draft, a rerun makes v3."""
    run("--default", SLUG)
    draft = CriteriaSet.objects.get(version=2)
    draft.parameter_set.filter(name="early_care_weeks").update(value=4)
    assert "as draft vertebroplasty v3" in run("--default", SLUG)


def test_once_published_it_is_not_imported_again(revision_1_install):
    run("--default", SLUG)
    criteria_set_publish(criteria_set=CriteriaSet.objects.get(version=2))
    output = run("--default", SLUG)
    assert output.startswith(
        "Nothing imported: vertebroplasty v2, the published set in force, already holds"
    )
    assert CriteriaSet.objects.count() == 2


def test_fresh_install_has_nothing_to_take(default_set):
    """make run loaded the fixture as v1: the command says so and writes nothing."""
    output = run("--default", SLUG)
    assert output == (
        f"Nothing imported: vertebroplasty v1, the published set in force, already holds the "
        f"default criteria {FIXTURE}.\n"
    )
    assert CriteriaSet.objects.count() == 1
    assert not CriteriaChange.objects.exists()


def test_empty_database_gets_the_procedure_and_a_draft_v1(empty_database):
    output = run("--default", SLUG)
    assert "as draft vertebroplasty v1 (58 questions, 49 rules, 60 golden cases)" in output
    procedure = Procedure.objects.get()
    assert (procedure.slug, procedure.name) == (SLUG, "Percutaneous vertebroplasty")
    draft = procedure.criteria_sets.get()
    assert (draft.version, draft.status) == (1, CriteriaSetStatus.DRAFT)
    assert all(result.passed for result in golden_cases_run(draft))


def test_a_file_import_still_makes_a_new_draft_each_time(default_set, tmp_path):
    """The file import is unchanged: the same file twice gives two drafts (v2, v3)."""
    out = io.StringIO()
    call_command("export_criteria", SLUG, stdout=out)
    path = tmp_path / "set.json"
    path.write_text(out.getvalue())
    assert "as draft vertebroplasty v2" in run(str(path))
    assert "as draft vertebroplasty v3" in run(str(path))


# ------------------------------------------------------------------------------------------
# Refusals: one line, status 2, nothing written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--default", "nosuch"],
            f"No default criteria for 'nosuch': no nosuch.json in the fixture folders "
            f"({ROOT / 'fixtures'}).",
        ),
        (["--default", "../x"], "'../x' is not a procedure slug."),
        ([], "Give a criteria file (- for standard input) or --default SLUG."),
        (["set.json", "--default", SLUG], "Give a criteria file or --default SLUG, not both."),
    ],
    ids=["unknown slug", "not a slug", "neither", "both"],
)
def test_refusals_are_one_line_with_status_2(default_set, args, message):
    with pytest.raises(CommandError) as refused:
        run(*args)
    assert (str(refused.value), refused.value.returncode) == (message, 2)
    assert CriteriaSet.objects.count() == 1
    assert not CriteriaChange.objects.exists()


def test_from_the_command_line_a_refusal_is_one_line_on_stderr_not_a_traceback(tmp_path):
    """Refused before the database is even opened (its file is never created)."""
    database = tmp_path / "unused.sqlite3"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "import_criteria", "--default", "nosuch"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "CommandError: No default criteria for 'nosuch': no nosuch.json in the fixture folders "
        f"({ROOT / 'fixtures'})."
    ]
    assert not database.exists()
