"""`manage.py screen`: the command-line contract of the engine."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from screener.models import CriteriaSet
from screener.services import criteria_set_clone
from tests.criteria_data import EXAMPLES_DIR, example, examples

pytestmark = pytest.mark.django_db

INPATIENT = example("ex-inpatient-candidate.json")


def screen(tmp_path: Path, payload, *args: str, raw: str | None = None):
    """Run the command on a file; return (exit status, output lines as JSON, stderr)."""
    path = tmp_path / "cases.json"
    path.write_text(raw if raw is not None else json.dumps(payload))
    return screen_path(str(path), *args)


def screen_path(path: str, *args: str):
    out, err = io.StringIO(), io.StringIO()
    status = 0
    try:
        call_command("screen", path, *args, stdout=out, stderr=err)
    except SystemExit as exc:
        status = exc.code
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return status, lines, err.getvalue()


@pytest.mark.parametrize(("name", "case"), examples(), ids=[name for name, _ in examples()])
def test_every_example_gets_its_expected_outcome(default_set, name, case):
    status, lines, err = screen_path(str(EXAMPLES_DIR / name))
    assert (status, err) == (0, "")
    assert lines[0]["outcome"] == case["expect"]


PREREQUISITES = ["pre_fracture_confirmed", "pre_level_in_range", "pre_unhealed", "pre_fracture_age"]
# Every example's full result under the default set, worked out from the criteria's documented
# semantics (precedence, blank answers, needs, coding facts), not copied from the output:
# (outcome, emergency, missing, rules that hold in set order, needs of each rule that has any,
# suggested codes).
EXAMPLE_RESULTS = {
    # 9/10 pain, inpatient, 2 weeks, L1, MRI edema; saddle numbness: an emergency red flag.
    "ex-cauda-equina.json": (
        "urgent",
        True,
        [],
        ["rf_cauda_equina", *PREREQUISITES, "pw_inpatient"],
        {},
        [],
    ),
    # Fever: a red flag that is not an emergency.
    "ex-fever.json": (
        "urgent",
        False,
        [],
        ["rf_infection", *PREREQUISITES, "pw_inpatient"],
        {},
        [],
    ),
    # One level at L1: the lumbar primary code and no add-on.
    "ex-inpatient-candidate.json": (
        "candidate",
        False,
        [],
        [*PREREQUISITES, "pw_inpatient"],
        {},
        ["22511"],
    ),
    # MRI 2025-01-10 before the onset 2025-02-28; both dates answered, so nothing is missing.
    "ex-mri-before-onset.json": (
        "needs_info",
        False,
        [],
        ["ni_imaging_predates_onset", *PREREQUISITES, "pw_inpatient"],
        {},
        [],
    ),
    # Outpatient NRS 4 < 5: no pathway holds; 4 weeks of care, so no early-care caution.
    "ex-outpatient-mild-pain.json": ("conservative", False, [], PREREQUISITES, {}, []),
    # pain_nrs blank: missing, and named by every rule that reads it; pw_inpatient fails.
    "ex-pain-score-missing.json": (
        "needs_info",
        False,
        ["pain_nrs"],
        PREREQUISITES,
        {
            "ci_asymptomatic": ["pain_nrs"],
            "ni_no_advanced_imaging": ["pain_nrs"],
            "pw_inpatient": ["pain_nrs"],
            "pw_outpatient_worsening": ["pain_nrs"],
            "pw_outpatient_findings": ["pain_nrs"],
            "pw_neoplastic": ["pain_nrs"],
        },
        [],
    ),
    # Stable NRS 6, findings 2 (height loss 30 > 25, RDQ 19 > 17); warfarin, INR 3.5 > 1.5.
    "ex-stable-two-findings-on-warfarin.json": (
        "candidate_with_cautions",
        False,
        [],
        [*PREREQUISITES, "pw_outpatient_findings", "ca_anticoagulant", "ca_inr_high"],
        {},
        ["22511"],
    ),
    # Three levels from T10: thoracic primary code, two add-ons; 3 levels is not > max_levels 3.
    "ex-three-thoracic-levels.json": (
        "candidate",
        False,
        [],
        [*PREREQUISITES, "pw_inpatient"],
        {},
        ["22510", "+22512", "+22512"],
    ),
}
RULE_KEYS = ["code", "effect", "holds", "needs", "message", "source", "values"]


def test_every_example_has_its_full_result_listed():
    assert sorted(EXAMPLE_RESULTS) == [name for name, _ in examples()]


@pytest.mark.parametrize(("name", "case"), examples(), ids=[name for name, _ in examples()])
def test_every_example_matches_exactly(default_set, name, case):
    """Outcome, emergency, missing, the rules that hold, needs and codes, on a fresh install."""
    status, [line], err = screen_path(str(EXAMPLES_DIR / name))
    assert (status, err) == (0, "")
    assert line["outcome"] == case["expect"]
    assert (
        line["outcome"],
        line["emergency"],
        line["missing"],
        [rule["code"] for rule in line["rules"] if rule["holds"]],
        {rule["code"]: rule["needs"] for rule in line["rules"] if rule["needs"]},
        line["suggested_codes"],
    ) == EXAMPLE_RESULTS[name]
    assert line["criteria_set"] == {"procedure": "vertebroplasty", "version": 1}


def test_each_rule_has_the_contract_keys_in_order_then_its_values(default_set):
    """`values` is added after the contract's keys, which keep their order."""
    status, lines, _ = screen_path(str(EXAMPLES_DIR / "ex-stable-two-findings-on-warfarin.json"))
    assert status == 0
    rules = {rule["code"]: rule for rule in lines[0]["rules"]}
    assert all(list(rule) == RULE_KEYS for rule in rules.values())
    assert rules["ca_inr_high"]["values"] == {"inr": 3.5, "inr_max": 1.5}
    assert rules["pw_inpatient"]["values"] == {
        "hospitalized": False,
        "pain_nrs": 6,
        "nrs_inpatient_min": 8,
    }
    _, [mri], _ = screen_path(str(EXAMPLES_DIR / "ex-mri-before-onset.json"))
    [predates] = [rule for rule in mri["rules"] if rule["code"] == "ni_imaging_predates_onset"]
    assert predates["values"] == {
        "advanced_imaging_date": "2025-01-10",
        "symptom_onset_date": "2025-02-28",
    }
    _, [blank], _ = screen_path(str(EXAMPLES_DIR / "ex-pain-score-missing.json"))
    [inpatient] = [rule for rule in blank["rules"] if rule["code"] == "pw_inpatient"]
    assert inpatient["values"] == {"hospitalized": True, "pain_nrs": None, "nrs_inpatient_min": 8}


def test_an_imaging_date_after_the_screening_date_is_a_bad_case(default_set, tmp_path):
    """The whole inpatient case, screened on 2025-06-02 with an MRI dated 2025-06-10."""
    case = INPATIENT | {
        "as_of": "2025-06-02",
        "answers": INPATIENT["answers"] | {"advanced_imaging_date": "2025-06-10"},
    }
    status, lines, err = screen(tmp_path, case)
    assert (status, err) == (2, "")
    assert lines == [
        {
            "error": "2025-06-10 is after the screening date 2025-06-02",
            "field": "answers.advanced_imaging_date",
        }
    ]


def test_output_shape_for_a_candidate(default_set, tmp_path):
    status, [line], _ = screen(tmp_path, INPATIENT)
    assert status == 0
    assert list(line) == [
        "outcome",
        "emergency",
        "criteria_set",
        "missing",
        "rules",
        "suggested_codes",
    ]
    assert line["outcome"] == "candidate"
    assert line["emergency"] is False
    assert line["criteria_set"] == {"procedure": "vertebroplasty", "version": 1}
    assert line["missing"] == []
    assert line["suggested_codes"] == ["22511"]
    assert len(line["rules"]) == 49
    first = line["rules"][0]
    assert first["code"] == "rf_cauda_equina"
    assert first["effect"] == "red_flag"
    assert first["holds"] is False
    assert first["needs"] == []
    assert first["message"].startswith("Possible cauda equina syndrome.")
    assert first["source"] == "Red flags"


def test_a_case_naming_a_technique_gets_its_codes(default_set, tmp_path):
    """The codes are the vertebroplasty ones unless the case names another technique of the
    set's coding table; an unknown technique is a bad case naming the field."""
    answers = INPATIENT["answers"] | {"fracture_level": "T9", "levels_count": 2}
    cases = [
        INPATIENT | {"answers": answers},
        INPATIENT | {"answers": answers, "technique": "kyphoplasty"},
        INPATIENT | {"answers": answers, "technique": "vertebroplasty"},
        INPATIENT | {"answers": answers, "technique": "laser"},
    ]
    status, lines, _ = screen(tmp_path, cases)
    assert [line.get("suggested_codes") for line in lines[:3]] == [
        ["22510", "+22512"],
        ["22513", "+22515"],
        ["22510", "+22512"],
    ]
    assert lines[3] == {
        "error": '"laser" is not a technique of this criteria set (vertebroplasty, kyphoplasty)',
        "field": "technique",
    }
    assert status == 2


def test_emergency_and_needs_in_output(default_set, tmp_path):
    case = INPATIENT | {"answers": INPATIENT["answers"] | {"cauda_equina_signs": True}}
    del case["answers"]["pain_nrs"]
    _, [line], _ = screen(tmp_path, case)
    assert (line["outcome"], line["emergency"]) == ("urgent", True)
    assert line["missing"] == ["pain_nrs"]
    needs = {rule["code"]: rule["needs"] for rule in line["rules"]}
    assert needs["pw_inpatient"] == ["pain_nrs"]
    assert needs["ci_asymptomatic"] == ["pain_nrs"]


def test_batch_is_json_lines_in_input_order(default_set, tmp_path):
    cases = [case for _, case in examples()]
    status, lines, _ = screen(tmp_path, cases)
    assert status == 0
    assert [line["outcome"] for line in lines] == [case["expect"] for case in cases]


def test_reads_standard_input(default_set, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(INPATIENT).encode())))
    status, [line], _ = screen_path("-")
    assert (status, line["outcome"]) == (0, "candidate")


def test_procedure_from_the_option_when_the_case_has_none(default_set, tmp_path):
    case = {key: value for key, value in INPATIENT.items() if key != "procedure"}
    status, [line], _ = screen(tmp_path, case, "--procedure", "vertebroplasty")
    assert (status, line["outcome"]) == (0, "candidate")


def test_newest_published_version_by_default_and_an_older_one_on_request(default_set, tmp_path):
    draft = criteria_set_clone(criteria_set=default_set)
    draft.rule_set.filter(code="pw_inpatient").update(condition="hospitalized and pain_nrs >= 10")
    draft.goldencase_set.all().delete()  # they expect the old threshold; publish would refuse
    from screener.services import criteria_set_publish

    criteria_set_publish(criteria_set=draft)
    _, [newest], _ = screen(tmp_path, INPATIENT)
    _, [older], _ = screen(tmp_path, INPATIENT, "--criteria-version", "1")
    assert (newest["criteria_set"]["version"], newest["outcome"]) == (2, "conservative")
    assert (older["criteria_set"]["version"], older["outcome"]) == (1, "candidate")


def test_as_of_defaults_to_today(default_set, tmp_path, settings):
    """Left out, as_of is the command's today (frozen here): a 2025 onset is then chronic."""
    import time_machine

    case = {key: value for key, value in INPATIENT.items() if key != "as_of"}
    with time_machine.travel("2025-03-14 12:00:00Z", tick=False):
        _, [on_day], _ = screen(tmp_path, case)
    with time_machine.travel("2025-09-01 12:00:00Z", tick=False):
        _, [months_later], _ = screen(tmp_path, case)
    assert on_day["outcome"] == "candidate"
    assert months_later["outcome"] == "conservative"


BAD_CASES = [
    ("not an object", [1], "case", "a case must be a JSON object"),
    (
        "no procedure",
        {"as_of": "2025-03-14", "answers": {}},
        "procedure",
        "no procedure: give the case a procedure, or --procedure",
    ),
    (
        "procedure not a string",
        {"procedure": 5, "answers": {}},
        "procedure",
        "procedure must be a string (a procedure slug)",
    ),
    (
        "unknown procedure",
        {"procedure": "kyphoplasty", "answers": {}},
        "procedure",
        "unknown procedure 'kyphoplasty'",
    ),
    (
        "bad as_of",
        {"procedure": "vertebroplasty", "as_of": "14.03.2025", "answers": {}},
        "as_of",
        "expected a date as YYYY-MM-DD, got '14.03.2025'",
    ),
    (
        "impossible as_of",
        {"procedure": "vertebroplasty", "as_of": "2025-02-29", "answers": {}},
        "as_of",
        "'2025-02-29' is not a real date",
    ),
    (
        "answers missing",
        {"procedure": "vertebroplasty", "as_of": "2025-03-14"},
        "answers",
        "answers is required: an object of question code to value",
    ),
    (
        "answers not an object",
        {"procedure": "vertebroplasty", "answers": [1]},
        "answers",
        "answers must be an object of question code to value",
    ),
    (
        "unknown question",
        {"procedure": "vertebroplasty", "answers": {"pain": 5}},
        "answers.pain",
        "unknown question code 'pain'",
    ),
    (
        "wrong type bool",
        {"procedure": "vertebroplasty", "answers": {"hospitalized": "yes"}},
        "answers.hospitalized",
        "expected true or false, got 'yes'",
    ),
    (
        "wrong type int",
        {"procedure": "vertebroplasty", "answers": {"pain_nrs": True}},
        "answers.pain_nrs",
        "expected a number, got true",
    ),
    (
        "not whole",
        {"procedure": "vertebroplasty", "answers": {"pain_nrs": 5.5}},
        "answers.pain_nrs",
        "5.5 is not a whole number",
    ),
    (
        "out of range",
        {"procedure": "vertebroplasty", "answers": {"pain_nrs": 11}},
        "answers.pain_nrs",
        "11 is above the maximum 10",
    ),
    (
        "decimal out of range",
        {"procedure": "vertebroplasty", "answers": {"inr": 0.2}},
        "answers.inr",
        "0.2 is below the minimum 0.5",
    ),
    (
        "choice not listed",
        {"procedure": "vertebroplasty", "answers": {"malignancy": "yes"}},
        "answers.malignancy",
        "'yes' is not one of: none, diagnosed, suspected",
    ),
    (
        "malformed date",
        {"procedure": "vertebroplasty", "answers": {"symptom_onset_date": "2025-2-1"}},
        "answers.symptom_onset_date",
        "expected a date as YYYY-MM-DD, got '2025-2-1'",
    ),
    (
        "impossible date",
        {"procedure": "vertebroplasty", "answers": {"symptom_onset_date": "2025-04-31"}},
        "answers.symptom_onset_date",
        "'2025-04-31' is not a real date",
    ),
    (
        "onset after as_of",
        {
            "procedure": "vertebroplasty",
            "as_of": "2025-03-14",
            "answers": {"symptom_onset_date": "2025-03-20"},
        },
        "answers.symptom_onset_date",
        "2025-03-20 is after the screening date 2025-03-14",
    ),
    (
        "imaging date after as_of",
        {
            "procedure": "vertebroplasty",
            "as_of": "2025-06-02",
            "answers": {"advanced_imaging_date": "2025-06-10"},
        },
        "answers.advanced_imaging_date",
        "2025-06-10 is after the screening date 2025-06-02",
    ),
]


@pytest.mark.parametrize(
    ("label", "case", "field", "error"), BAD_CASES, ids=[row[0] for row in BAD_CASES]
)
def test_bad_case_gets_its_error_line_and_status_2(
    default_set, tmp_path, label, case, field, error
):
    """A bad case is reported on its own line; the good case after it is still screened."""
    cases = (case if isinstance(case, list) else [case]) + [INPATIENT]
    status, lines, err = screen(tmp_path, cases)
    assert status == 2
    assert lines[0] == {"error": error, "field": field}
    assert lines[-1]["outcome"] == "candidate"
    assert err == ""


def test_unknown_version(default_set, tmp_path):
    _, [line], _ = screen(tmp_path, INPATIENT, "--criteria-version", "9")
    assert line == {"error": "vertebroplasty has no version 9", "field": "criteria_version"}


def test_draft_version_cannot_be_screened_against(default_set, tmp_path):
    criteria_set_clone(criteria_set=default_set)
    status, [line], _ = screen(tmp_path, INPATIENT, "--criteria-version", "2")
    assert status == 2
    assert line == {
        "error": "version 2 of vertebroplasty is a draft; drafts cannot be screened against",
        "field": "criteria_version",
    }


def test_procedure_without_a_published_set(db, tmp_path):
    from screener.models import Procedure

    Procedure.objects.create(slug="kyphoplasty", name="Kyphoplasty")
    _, [line], _ = screen(tmp_path, INPATIENT | {"procedure": "kyphoplasty"})
    assert line == {
        "error": "kyphoplasty has no published criteria set",
        "field": "criteria_version",
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            "{not json",
            "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)",
        ),
        ('{"answers": NaN}', "not valid JSON: NaN is not valid JSON"),
        ("[Infinity]", "not valid JSON: Infinity is not valid JSON"),
        ('"a string"', "the JSON must be a case object or a list of case objects"),
        ("42", "the JSON must be a case object or a list of case objects"),
        ("", "not valid JSON: Expecting value (line 1, column 1)"),
    ],
)
def test_bad_file_is_one_line_on_stderr_and_nothing_on_stdout(default_set, tmp_path, raw, message):
    status, lines, err = screen(tmp_path, None, raw=raw)
    assert status == 2
    assert lines == []
    assert err.strip().splitlines() == [f"screen: {tmp_path / 'cases.json'}: {message}"]


def test_unreadable_file(default_set, tmp_path):
    status, lines, err = screen_path(str(tmp_path / "nope.json"))
    assert (status, lines) == (2, [])
    assert (
        err.strip()
        == f"screen: {tmp_path / 'nope.json'}: cannot read the file: No such file or directory"
    )


def test_file_that_is_not_utf8(default_set, tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"note": "caf\xe9"}'.encode("latin-1"))
    status, lines, err = screen_path(str(path))
    assert (status, lines) == (2, [])
    assert err.strip().endswith("cannot read the file: it is not UTF-8 text")


def test_the_command_writes_nothing(default_set, tmp_path, django_assert_max_num_queries):
    """It reads criteria and never writes: no INSERT, UPDATE or DELETE is sent."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        screen(tmp_path, [INPATIENT, INPATIENT])
    writes = [
        q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == []
    assert CriteriaSet.objects.count() == 1
