"""Checking a set's expressions: node kinds, names, types and a trial evaluation."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys

import pytest

from screener import engine
from screener.engine.expressions import _trial_problems
from tests.criteria_data import AS_OF, default_spec


def with_rule(
    condition: str, code: str = "xx_trial", effect: str = "caution"
) -> engine.CriteriaSpec:
    spec = default_spec()
    rule = engine.RuleSpec(code=code, effect=engine.Effect(effect), condition=condition)
    return dataclasses.replace(spec, rules=(*spec.rules, rule))


def problems_of(condition: str) -> list[str]:
    return [str(p) for p in engine.check_criteria(with_rule(condition))]


def test_the_default_set_has_no_problems():
    assert engine.check_criteria(default_spec()) == []


BAD_CONDITIONS = [
    ("pain_nrs >= ", "Rule xx_trial: syntax error: invalid syntax"),
    ("pain_nrs >= 5)", "Rule xx_trial: syntax error at column 14: unmatched ')'"),
    ("", "Rule xx_trial: the expression is empty"),
    (
        "pain_score >= 5",
        "Rule xx_trial: unknown name 'pain_score' (not a question, parameter or derived value)",
    ),
    ("len(pain_trend) > 1", "Rule xx_trial: function calls are not allowed"),
    ("pain_trend.upper == 'X'", "Rule xx_trial: attributes (a.b) are not allowed"),
    ("[1, 2][0] == 1", "Rule xx_trial: subscripts (a[b]) are not allowed"),
    ("pain_nrs ** 2 > 4", "Rule xx_trial: the operator ** is not allowed"),
    ("pain_nrs // 2 > 4", "Rule xx_trial: the operator // is not allowed"),
    ("pain_nrs if hospitalized else 0", "Rule xx_trial: if/else expressions are not allowed"),
    ("pain_nrs is None", "Rule xx_trial: the literal None is not allowed"),
    (
        "pain_nrs and hospitalized",
        "Rule xx_trial: 'and' needs true/false values, but pain_nrs "
        "is a number (compare it, for example with >= or ==)",
    ),
    ("not pain_nrs", "Rule xx_trial: 'not' needs true/false values, but pain_nrs is a number"),
    (
        "pain_nrs",
        "Rule xx_trial: a condition must be true or false as a whole, but this is a number",
    ),
    (
        "malignancy == 'diagnosd'",
        "Rule xx_trial: 'diagnosd' is not a choice of malignancy (none, diagnosed, suspected)",
    ),
    ("fracture_level in ['T1', 'T13']", "Rule xx_trial: 'T13' is not a choice of fracture_level"),
    (
        "pain_trend > 3",
        "Rule xx_trial: '>' compares two numbers or two dates; here pain_trend "
        "is a choice and 3 is a number",
    ),
    (
        "hospitalized == 1",
        "Rule xx_trial: hospitalized (true/false) cannot be compared with 1 (number)",
    ),
    ("pain_nrs in ['a']", "Rule xx_trial: pain_nrs is a number and cannot be in a list of strings"),
    ("pain_nrs in 5", "Rule xx_trial: 'in' needs a list on its right, not 5"),
    ("pain_nrs in [1, 'a']", "Rule xx_trial: a list must hold only strings or only numbers"),
    ("pain_nrs in [inr]", "Rule xx_trial: a list may hold only literal strings or numbers"),
    ("pain_nrs / 0 > 1", "Rule xx_trial: division by zero"),
    ("-pain_nrs < 1", "Rule xx_trial: a minus sign may only stand before a number"),
    (
        "pain_trend + 'x' == 'y'",
        "Rule xx_trial: '+' works on numbers (true counts 1); pain_trend is a choice",
    ),
    ("{'a': 1} == 1", "Rule xx_trial: dictionaries are not allowed"),
    ("[x for x in [1]] == [1]", "Rule xx_trial: comprehensions are not allowed"),
    ("(pain_nrs := 3) > 1", "Rule xx_trial: assignments (:=) are not allowed"),
]


@pytest.mark.parametrize(("condition", "message"), BAD_CONDITIONS)
def test_bad_condition_is_refused_naming_the_rule_and_problem(condition, message):
    problems = problems_of(condition)
    assert len(problems) == 1
    assert problems[0].startswith(message)


GOOD_CONDITIONS = [
    "pain_nrs >= nrs_outpatient_min and not hospitalized",
    "weeks_since_onset <= max_fracture_age_weeks",
    "findings >= 2 or nsm_documented",
    "fracture_level not in ['cervical', 'sacral']",
    "-1 < pain_nrs <= 10",
    "height_loss_percent * 2 / 3 - 1 + hospitalized > 0",
    "symptom_onset_date == symptom_onset_date",
    "inr in [1.5, 2]",
    "True",
]


@pytest.mark.parametrize("condition", GOOD_CONDITIONS)
def test_allowed_syntax_is_accepted(condition):
    assert problems_of(condition) == []


def test_every_problem_is_collected_not_only_the_first():
    spec = with_rule("nope > 1", code="xx_one")
    spec = dataclasses.replace(
        spec,
        rules=(*spec.rules, engine.RuleSpec("xx_two", engine.Effect.TODO, "also_nope")),
    )
    assert [p.code for p in engine.check_criteria(spec)] == ["xx_one", "xx_two"]


def test_derived_value_may_not_use_one_defined_after_it():
    spec = default_spec()
    derived = (engine.DerivedSpec("early", "findings + 1"), *spec.derived)
    problems = engine.check_criteria(dataclasses.replace(spec, derived=derived))
    assert [str(p) for p in problems] == [
        "Derived value early: 'findings' is a derived value defined after this one; "
        "a derived value may only use those above it"
    ]


def test_requirement_condition_is_checked_and_named():
    spec = default_spec()
    questions = tuple(
        dataclasses.replace(q, required_when="age_years < 'old'") if q.code == "pregnant" else q
        for q in spec.questions
    )
    problems = engine.check_criteria(dataclasses.replace(spec, questions=questions))
    assert [(p.kind, p.code, p.field) for p in problems] == [
        ("question", "pregnant", "required_when")
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "class"}, "Question class: must be a name of letters"),
        ({"code": "True"}, "Question True: must be a name of letters"),
        (
            {"code": "weeks_since_onset"},
            "Derived value weeks_since_onset: the name is already used",
        ),
        ({"code": "hospitalized"}, "Question hospitalized: the name is already used"),
        ({"choices": ()}, "Question pain_trend: a choice question needs its list of choices"),
        ({"blank_choices": ("maybe",)}, "Question pain_trend: 'maybe' counts as blank but is not"),
    ],
)
def test_question_definitions_are_checked(change, message):
    spec = default_spec()
    questions = tuple(
        dataclasses.replace(q, **change) if q.code == "pain_trend" else q for q in spec.questions
    )
    problems = [
        str(p) for p in engine.check_criteria(dataclasses.replace(spec, questions=questions))
    ]
    assert any(p.startswith(message) for p in problems), problems


def test_emergency_only_on_red_flags():
    spec = default_spec()
    rule = engine.RuleSpec("xx", engine.Effect.CAUTION, "anticoagulant", emergency=True)
    problems = engine.check_criteria(dataclasses.replace(spec, rules=(*spec.rules, rule)))
    assert [str(p) for p in problems] == ["Rule xx: only a red flag can be an emergency"]


def test_trial_evaluation_reports_an_expression_that_raises():
    """The trial evaluation is the last line: what gets past the static checks but fails to run."""
    node = ast.parse("len([1])", mode="eval").body  # a call: the evaluator itself refuses it
    problems = _trial_problems(default_spec(), [("rule", "xx", "condition", node)], as_of=AS_OF)
    assert [str(p) for p in problems] == [
        "Rule xx: fails when evaluated with sample answers: FeatureNotAvailable: "
        "Sorry, Call is not available in this evaluator"
    ]


def test_compile_refuses_an_invalid_set_listing_its_problems():
    with pytest.raises(engine.CriteriaInvalid) as excinfo:
        engine.compile_criteria(with_rule("nope"))
    assert str(excinfo.value).startswith("Rule xx_trial: unknown name 'nope'")


def test_division_by_a_zero_answer_is_not_documented_rather_than_an_error():
    spec = with_rule("height_loss_percent / levels_count > 1")
    compiled = engine.compile_criteria(spec)
    result = engine.screen(compiled, {"height_loss_percent": 30, "levels_count": 0}, AS_OF)
    assert next(r for r in result.rules if r.code == "xx_trial").holds is False


def test_engine_imports_without_django():
    """The engine is a library: importing it must not need Django."""
    code = "import sys; sys.modules['django'] = None; import screener.engine; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr


# Screening runs checked expressions as bytecode (``compile_expression``); the checks above are
# the first guard, these the second.


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "pain_nrs.real > 1",
        "[1, 2][0] == 1",
        "(lambda: 1)() == 1",
        "2 ** 3 > 1",
    ],
)
def test_only_the_syntax_node_kinds_are_ever_compiled(text):
    from screener.engine.expressions import ExpressionError, compile_expression

    with pytest.raises(ExpressionError, match="not allowed"):
        compile_expression(ast.parse(text, mode="eval").body)


def test_compiled_expressions_divide_by_zero_as_nan_and_see_no_builtins():
    import math

    from screener.engine.expressions import EVAL_GLOBALS, compile_expression

    def run(text, **names):
        return eval(compile_expression(ast.parse(text, mode="eval").body), EVAL_GLOBALS, names)

    assert math.isnan(run("a / b", a=1, b=0))
    assert run("a / b > 1", a=3, b=2) is True
    assert run("a in [1, 2] and not b", a=2, b=False) is True
    with pytest.raises(NameError):
        run("len == 1")  # a builtin's name is just an unknown name


def test_a_name_that_would_hide_the_division_helper_is_refused():
    from screener.engine.expressions import DIVIDE_NAME

    spec = default_spec()
    parameter = dataclasses.replace(spec.parameters[0], name=DIVIDE_NAME)
    spec = dataclasses.replace(spec, parameters=(parameter, *spec.parameters[1:]))
    problems = engine.check_criteria(spec)
    assert any(p.kind == "parameter" and p.code == DIVIDE_NAME for p in problems)
