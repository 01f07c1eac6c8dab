"""The adapter gives the engine the same set the engine tests use.

Engine tests build the default set's spec straight from the fixture JSON
(``tests/criteria_data.default_spec``); the app builds it from database rows
(``adapters.criteria_spec``). If the two differ, the engine tests prove nothing about the app:
an adapter that dropped a question's blank choices would turn "pain at fracture level: unknown"
from a needs-information case into a candidate, with every engine test still passing.
"""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from screener import adapters, engine
from tests.criteria_data import default_spec, example

pytestmark = pytest.mark.django_db

INPATIENT = example("ex-inpatient-candidate.json")


def test_the_adapter_spec_of_the_stored_default_set_equals_the_engine_tests_spec(default_set):
    """Field by field (so a failure names the field), then the whole spec."""
    stored, from_file = adapters.criteria_spec(default_set), default_spec()
    assert [q.code for q in stored.questions] == [q.code for q in from_file.questions]
    for ours, theirs in zip(stored.questions, from_file.questions, strict=True):
        for field in dataclasses.fields(engine.QuestionSpec):
            assert getattr(ours, field.name) == getattr(theirs, field.name), (
                f"question {ours.code}: {field.name}"
            )
    for field in dataclasses.fields(engine.CriteriaSpec):
        assert getattr(stored, field.name) == getattr(from_file, field.name), field.name
    assert stored == from_file


def test_the_comparison_covers_the_stored_blank_choices(default_set):
    """The parity above is not vacuous: the set does store a blank choice."""
    question = adapters.criteria_spec(default_set).question("pain_at_fracture_level")
    assert question is not None
    assert (question.choices, question.blank_choices) == (("yes", "no", "unknown"), ("unknown",))


@pytest.mark.parametrize(
    ("answer", "outcome", "missing"),
    [
        ("unknown", "needs_info", ("pain_at_fracture_level",)),
        ("yes", "candidate", ()),
    ],
)
def test_pain_at_fracture_level_unknown_is_missing_through_the_adapter(
    default_set, answer, outcome, missing
):
    """The inpatient candidate with the pain level "unknown" needs information; with "yes" it
    is a candidate (so the blank choice, nothing else, makes the difference)."""
    answers = INPATIENT["answers"] | {"pain_at_fracture_level": answer}
    result, screened = adapters.screen_answers(
        default_set, answers, as_of=datetime.date.fromisoformat(INPATIENT["as_of"])
    )
    assert (str(result.outcome), result.missing) == (outcome, missing)
    assert screened["pain_at_fracture_level"] == answer


def test_stored_rule_results_are_the_screen_json_with_values_as_pairs_and_emergency(default_set):
    """Each stored rule is ``RuleResult.as_dict()`` with ``values`` as [name, value] pairs and
    ``emergency`` added, keys in the same order (pages and the history diff read them)."""
    compiled = adapters.compiled_criteria(default_set)
    as_of = datetime.date(2025, 3, 14)
    typed, _invalid = adapters.typed_answers(compiled.spec, INPATIENT["answers"], as_of=as_of)
    result = engine.screen(compiled, typed, as_of)
    expected = [
        rule.as_dict()
        | {
            "emergency": rule.emergency,
            "values": [[name, engine.json_value(value)] for name, value in rule.values],
        }
        for rule in result.rules
    ]
    stored = adapters.stored_rule_results(result)
    assert stored == expected
    assert [list(rule) for rule in stored] == [list(rule) for rule in expected]
    assert any(rule["values"] for rule in stored)
