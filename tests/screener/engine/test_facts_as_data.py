"""The engine knows no procedure: weeks since a date, the coding table, and the reasons that
decided the outcome all come from the set."""

from __future__ import annotations

import dataclasses
import datetime
import math

import pytest

from screener import engine
from tests.criteria_data import AS_OF, default_compiled, default_spec
from tests.screener.engine.cases import INPATIENT, answers_with, run

# ------------------------------------------------------------------------------------------
# A made-up set for another procedure: its own date question, weeks value and coding table.

Q = engine.QuestionSpec
T = engine.QuestionType

KNEE = engine.CriteriaSpec(
    procedure="knee_block",
    version=1,
    questions=(
        Q("injury_date", T.DATE, engine.Requirement.ALWAYS, prompt="Date of the injury"),
        Q("side", T.CHOICE, engine.Requirement.ALWAYS, choices=("left", "right"), prompt="Side"),
        Q("nerves", T.INT, min_value=1, max_value=4, prompt="Nerves to block"),
        Q("pain", T.INT, engine.Requirement.ALWAYS, min_value=0, max_value=10, prompt="Pain"),
    ),
    parameters=(engine.ParameterSpec("min_weeks", 6), engine.ParameterSpec("max_nerves", 3)),
    derived=(engine.DerivedSpec("weeks_since_injury", weeks_since="injury_date"),),
    rules=(
        engine.RuleSpec(
            "pre_old_enough",
            engine.Effect.PREREQUISITE,
            "weeks_since_injury >= min_weeks",
            message="Six weeks have passed.",
        ),
        engine.RuleSpec("pw_pain", engine.Effect.PATHWAY, "pain >= 5", message="Pain of 5+."),
    ),
    coding=(
        engine.CodingSpec(
            "ultrasound", "left", "64450", "+64999", ("left",), "max_nerves", "Ultrasound-guided"
        ),
        engine.CodingSpec(
            "ultrasound", "right", "64451", "+64999", ("right",), "max_nerves", "Ultrasound-guided"
        ),
        engine.CodingSpec("landmark", "any", "64455", "", (), "", "Landmark"),
    ),
    level_question="side",
    count_question="nerves",
)


def knee(answers: dict, technique: str | None = None, as_of: datetime.date = AS_OF):
    typed = engine.parse_answers(KNEE, answers, as_of)
    return engine.screen(engine.compile_criteria(KNEE), typed, as_of, technique=technique)


def test_a_set_counts_weeks_since_its_own_date_question():
    result = knee({"injury_date": "2025-01-31", "side": "left", "pain": 7})
    assert result.derived["weeks_since_injury"] == 6.0
    assert result.outcome == "candidate"
    assert math.isnan(knee({"side": "left", "pain": 7}).derived["weeks_since_injury"])


def test_a_rule_on_weeks_since_needs_its_date_question():
    result = knee({"side": "left", "pain": 7})
    assert {r.code: r.needs for r in result.rules}["pre_old_enough"] == ("injury_date",)


@pytest.mark.parametrize(
    ("answers", "technique", "codes"),
    [
        ({"side": "left"}, None, ("64450",)),  # the first technique until one is chosen
        ({"side": "right", "nerves": 2}, None, ("64451", "+64999")),
        ({"side": "right", "nerves": 4}, None, ("64451", "+64999", "+64999")),  # capped at 3
        ({"side": "right", "nerves": 4}, "landmark", ("64455",)),  # no add-on in its row
        ({"side": "left"}, "landmark", ("64455",)),  # no row lists the side: the first row
    ],
)
def test_codes_come_from_the_sets_coding_table(answers, technique, codes):
    result = knee({"injury_date": "2025-01-01", "pain": 7} | answers, technique)
    assert result.suggested_codes == codes
    assert result.technique == (technique or "ultrasound")


def test_the_default_set_codes_kyphoplasty_when_asked():
    base = run(fracture_level="L2", levels_count=2)
    assert base.suggested_codes == ("22511", "+22512")
    assert base.technique == "vertebroplasty"
    raw = answers_with(INPATIENT, {"fracture_level": "T8", "levels_count": 5})
    answers = engine.parse_answers(default_spec(), raw, AS_OF)
    kypho = engine.screen(default_compiled(), answers, AS_OF, technique="kyphoplasty")
    assert kypho.suggested_codes == ("22513", "+22515", "+22515")
    assert default_spec().techniques() == {
        "vertebroplasty": "Vertebroplasty",
        "kyphoplasty": "Kyphoplasty",
    }


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"level_question": "pain"}, "Criteria set: 'pain' is not a choice question of this set"),
        ({"count_question": "side"}, "Criteria set: 'side' is not a number question of this set"),
        (
            {"coding": (engine.CodingSpec("us", "left", "1", levels=("up",)),)},
            "Coding row us / left: up: not an answer of side",
        ),
        (
            {"coding": (engine.CodingSpec("us", "left", "1", cap_parameter="most"),)},
            "Coding row us / left: 'most' is not a parameter of this set",
        ),
        (
            {"coding": (engine.CodingSpec("us", "a", "1"), engine.CodingSpec("us", "a", "2"))},
            "Coding row us / a: this technique and region are listed twice",
        ),
        (
            {"derived": (engine.DerivedSpec("w", weeks_since="side"),)},
            "Derived value w: 'side' is not a date question of this set",
        ),
    ],
)
def test_the_coding_table_and_weeks_since_are_checked(change, problem):
    problems = [str(p) for p in engine.check_criteria(dataclasses.replace(KNEE, **change))]
    assert problem in problems


# ------------------------------------------------------------------------------------------
# The result carries its reasons


REASONS = [
    # (overrides, outcome, deciding rules, key reason starts with)
    (
        {"infection_signs": True, "cauda_equina_signs": True},
        "urgent",
        ("rf_cauda_equina", "rf_infection"),
        None,
    ),
    ({"cement_allergy": True}, "contraindicated", ("ci_cement_allergy",), None),
    ({"pain_nrs": None}, "needs_info", (), "Missing: "),
    ({"edema_or_uptake": "no", "pain_nrs": 7}, "conservative", ("pre_unhealed",), None),
    ({}, "candidate", ("pw_inpatient",), ""),
]


@pytest.mark.parametrize(("overrides", "outcome", "deciding", "reason"), REASONS)
def test_the_result_names_the_rules_that_decided_it(overrides, outcome, deciding, reason):
    result = run(**overrides)
    assert result.outcome == outcome
    assert result.deciding == deciding
    messages = {r.code: r.message for r in result.rules}
    if reason is None:
        assert result.key_reason == messages[deciding[0]]
    elif reason:
        assert result.key_reason.startswith(reason)
    else:
        assert result.key_reason == ""


def test_conservative_without_a_pathway_says_so():
    result = run("outpatient_worsening", pain_nrs=3)
    assert result.outcome == "conservative"
    assert result.key_reason == engine.NO_PATHWAY_REASON
    assert set(result.deciding) == {r.code for r in result.rules if r.effect == "pathway"}


def test_missing_reason_names_the_first_missing_prompt_and_counts_the_rest():
    result = run(pain_nrs=None, fracture_level=None)
    prompts = {q.code: q.prompt for q in default_spec().questions}
    first = result.missing[0]
    assert result.key_reason == f"Missing: {prompts[first]} (and {len(result.missing) - 1} more)"
