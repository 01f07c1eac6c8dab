"""Prior-authorization data in the engine: when a coverage criterion is met, the checks of the
coverage fields and of diagnosis codes, and the diagnosis codes suggested for answers."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from screener import engine
from tests.criteria_data import AS_OF, default_compiled, default_spec, examples
from tests.screener.engine.cases import INPATIENT, OUTPATIENT_WORSENING, answers_with

E = engine.Effect

# ------------------------------------------------------------------------------------------
# coverage_met: "met" is the good state


@pytest.mark.parametrize(
    ("effect", "holds", "met"),
    [
        (E.PREREQUISITE, True, True),
        (E.PREREQUISITE, False, False),
        (E.PATHWAY, True, True),
        (E.PATHWAY, False, False),
        (E.CONTRAINDICATION, True, False),
        (E.CONTRAINDICATION, False, True),
        (E.RED_FLAG, True, False),
        (E.RED_FLAG, False, True),
        (E.NEEDS_INFO, True, False),
        (E.NEEDS_INFO, False, True),
        ("contraindication", False, True),  # an effect as stored (text)
    ],
)
def test_coverage_met_by_effect(effect, holds, met):
    """A prerequisite or pathway is met when it holds; a contraindication, red flag or
    information rule when it does not."""
    assert engine.coverage_met(effect, holds) is met


@pytest.mark.parametrize("effect", [E.CAUTION, E.TODO])
def test_cautions_and_todos_are_never_coverage_criteria(effect):
    with pytest.raises(ValueError, match=f"a {effect} rule is not a coverage criterion"):
        engine.coverage_met(effect, True)


# ------------------------------------------------------------------------------------------
# Checks of the coverage fields (the admin shows each on its field, imports list them)


def problems_with(*rules: engine.RuleSpec, diagnoses=()) -> list[str]:
    spec = dataclasses.replace(default_spec(), rules=rules, diagnoses=tuple(diagnoses))
    return [f"{p.code}.{p.field}: {p.message}" for p in engine.check_criteria(spec)]


def rule(code: str, effect: E, **fields) -> engine.RuleSpec:
    return engine.RuleSpec(code, effect, "osteoporosis", message="m", source="s", **fields)


def test_a_coverage_criterion_needs_the_payers_wording():
    assert problems_with(rule("pre_x", E.PREREQUISITE, coverage_criterion=True)) == [
        "pre_x.payer_wording: a coverage criterion needs the payer's wording"
    ]
    assert problems_with(
        rule("pre_x", E.PREREQUISITE, coverage_criterion=True, payer_wording="   ")
    ) == ["pre_x.payer_wording: a coverage criterion needs the payer's wording"]


def test_coverage_fields_are_refused_on_cautions_and_todos_naming_each_field():
    assert problems_with(
        rule("ca_x", E.CAUTION, coverage_criterion=True, payer_wording="Met."),
        rule("td_x", E.TODO, payer_citation="LCD, indication 2"),
    ) == [
        "ca_x.coverage_criterion: a caution rule cannot be a coverage criterion: leave it blank "
        "(only red flags, contraindications, information rules, prerequisites and pathways can)",
        "ca_x.payer_wording: a caution rule cannot be a coverage criterion: leave it blank "
        "(only red flags, contraindications, information rules, prerequisites and pathways can)",
        "td_x.payer_citation: a todo rule cannot be a coverage criterion: leave it blank "
        "(only red flags, contraindications, information rules, prerequisites and pathways can)",
    ]


def test_payer_fields_without_the_coverage_tick_are_refused():
    """Wording, citation or a group on a rule that is not a coverage criterion would never be
    printed: the admin is told to tick the box or clear the field."""
    assert problems_with(rule("pw_x", E.PATHWAY, coverage_group="pain", payer_wording="Pain.")) == [
        "pw_x.coverage_group: only a coverage criterion has this: tick coverage criterion or "
        "clear it",
        "pw_x.payer_wording: only a coverage criterion has this: tick coverage criterion or "
        "clear it",
    ]


def test_a_coverage_group_holds_rules_of_one_effect():
    covered = {"coverage_criterion": True, "payer_wording": "Met.", "coverage_group": "pain"}
    assert problems_with(
        rule("pw_a", E.PATHWAY, **covered),
        rule("pw_b", E.PATHWAY, **covered),
        rule("ci_c", E.CONTRAINDICATION, **covered),
    ) == [
        "ci_c.coverage_group: the group pain holds pathway rules: alternatives must have one "
        "effect, and this is a contraindication rule"
    ]


def test_the_default_sets_coverage_data_checks():
    assert engine.check_criteria(default_spec()) == []
    covered = [r for r in default_spec().rules if r.coverage_criterion]
    assert {r.effect for r in covered} == {E.PREREQUISITE, E.PATHWAY, E.CONTRAINDICATION}
    assert all(r.payer_wording and r.payer_citation.startswith("LCD L38201") for r in covered)
    assert [r.code for r in covered if r.coverage_group == "pain_pathway"] == [
        r.code for r in default_spec().rules if r.effect == E.PATHWAY
    ]


# ------------------------------------------------------------------------------------------
# Diagnosis codes: checked like rule conditions


def test_a_diagnosis_condition_is_checked_like_a_rule_condition():
    D = engine.DiagnosisSpec
    assert problems_with(
        rule("pre_x", E.PREREQUISITE),
        diagnoses=[
            D("M00.0", "Bad name", "osteoporosiss"),
            D("M00.1", "Not a condition", "pain_nrs + 1"),
            D("M00.2", "Unknown choice", "malignancy == 'maybe'"),
            D("M00.3", "", ""),
            D("M00.3", "Twice", ""),
        ],
    ) == [
        "M00.0.applies_when: unknown name 'osteoporosiss' (not a question, parameter or "
        "derived value)",
        "M00.1.applies_when: a condition must be true or false as a whole, but this is a number",
        "M00.2.applies_when: 'maybe' is not a choice of malignancy (none, diagnosed, suspected)",
        "M00.3.description: a code needs its description",
        "M00.3.code: the code is listed twice",
    ]


def test_a_diagnosis_problem_names_the_code_for_the_admin():
    spec = dataclasses.replace(
        default_spec(), diagnoses=(engine.DiagnosisSpec("M00.0", "x", "nope"),)
    )
    assert [str(p) for p in engine.check_criteria(spec)] == [
        "Diagnosis code M00.0: unknown name 'nope' (not a question, parameter or derived value)"
    ]


# ------------------------------------------------------------------------------------------
# Suggested diagnosis codes


def suggested(answers: dict, as_of: datetime.date = AS_OF) -> list[str]:
    typed = engine.parse_answers(default_spec(), answers, as_of)
    return [d.code for d in engine.suggested_diagnoses(default_compiled(), typed, as_of)]


@pytest.mark.parametrize(("name", "case"), examples(), ids=[name for name, _ in examples()])
def test_every_example_is_an_osteoporotic_fracture(name, case):
    """Each example is an osteoporotic fracture after a minor fall with no known cancer,
    whatever its outcome: the codes describe the fracture, not the decision."""
    as_of = datetime.date.fromisoformat(case["as_of"])
    assert suggested(case["answers"], as_of) == ["M80.08XA"]


@pytest.mark.parametrize(
    ("overrides", "codes"),
    [
        ({}, ["M80.08XA"]),
        ({"malignancy": "diagnosed"}, ["M84.58XA", "C79.51", "C90.00"]),
        ({"malignancy": "diagnosed", "osteoporosis": False}, ["M84.58XA", "C79.51", "C90.00"]),
        ({"malignancy": "suspected"}, ["M80.08XA"]),
        ({"osteoporosis": False}, ["M48.56XA"]),
        ({"osteoporosis": False, "fracture_level": "T12"}, ["M48.54XA"]),
        ({"osteoporosis": False, "fracture_level": "sacral"}, []),
        ({"osteoporosis": False, "injury_mechanism": "high_energy"}, []),
        ({"osteoporosis": None, "fracture_level": "L3"}, ["M48.56XA"]),  # blank: not osteoporotic
        ({"osteoporosis": False, "fracture_level": None}, []),
    ],
)
def test_suggested_diagnosis_codes(overrides, codes):
    assert suggested(answers_with(INPATIENT, overrides)) == codes


def test_the_suggested_codes_do_not_depend_on_the_outcome():
    """An outpatient with fever (urgent) keeps the fracture's code."""
    assert suggested(answers_with(OUTPATIENT_WORSENING, {"infection_signs": True})) == ["M80.08XA"]


def test_a_condition_sees_parameters_and_derived_values_as_rules_do():
    """Weeks since the onset (to the date given), a derived value and a parameter."""
    spec = dataclasses.replace(
        default_spec(),
        diagnoses=(
            engine.DiagnosisSpec("X00.0", "recent", "weeks_since_onset <= max_fracture_age_weeks"),
            engine.DiagnosisSpec("X00.1", "care tried", "nsm_documented"),
            engine.DiagnosisSpec("X00.2", "always", ""),
        ),
    )
    compiled = engine.compile_criteria(spec)
    answers = engine.parse_answers(spec, answers_with(OUTPATIENT_WORSENING, {}), AS_OF)
    onset = datetime.date.fromisoformat(OUTPATIENT_WORSENING["symptom_onset_date"])
    late = onset + datetime.timedelta(weeks=13)
    assert [d.code for d in engine.suggested_diagnoses(compiled, answers, AS_OF)] == [
        "X00.0",
        "X00.1",
        "X00.2",
    ]
    assert [d.code for d in engine.suggested_diagnoses(compiled, answers, late)] == [
        "X00.1",
        "X00.2",
    ]


def test_screening_is_unchanged_by_diagnosis_codes():
    """The screen JSON (a public contract) has no diagnosis codes."""
    typed = engine.parse_answers(default_spec(), INPATIENT, AS_OF)
    result = engine.screen(default_compiled(), typed, AS_OF)
    assert list(result.as_dict()) == [
        "outcome",
        "emergency",
        "criteria_set",
        "missing",
        "rules",
        "suggested_codes",
    ]
