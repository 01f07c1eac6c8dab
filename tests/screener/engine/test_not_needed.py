"""The questions required "when" a condition that does not hold are not needed for this patient
(``ScreeningResult.not_needed``), answered or not; ``manage.py screen`` does not print them."""

from __future__ import annotations

import pytest

from screener import engine
from tests.criteria_data import AS_OF, default_compiled

Q = engine.QuestionSpec
T = engine.QuestionType
WHEN = engine.Requirement.WHEN

SPEC = engine.CriteriaSpec(
    procedure="made_up",
    version=1,
    questions=(
        Q("imaging_done", T.BOOL, engine.Requirement.ALWAYS),
        Q("finding", T.BOOL, WHEN, required_when="imaging_done"),
        Q("finding_size", T.INT, WHEN, required_when="imaging_done"),
        Q("no_imaging_reason", T.BOOL, WHEN, required_when="not imaging_done"),
        Q("note", T.BOOL),
    ),
    rules=(engine.RuleSpec("pw", engine.Effect.PATHWAY, "imaging_done", message="Imaged."),),
)


@pytest.mark.parametrize(
    ("answers", "required", "not_needed"),
    [
        ({}, ("imaging_done", "no_imaging_reason"), ("finding", "finding_size")),
        (
            {"imaging_done": True},
            ("imaging_done", "finding", "finding_size"),
            ("no_imaging_reason",),
        ),
        # An answer to a question not needed does not make it needed.
        (
            {"imaging_done": False, "finding": True},
            ("imaging_done", "no_imaging_reason"),
            ("finding", "finding_size"),
        ),
    ],
)
def test_not_needed_are_the_conditional_questions_whose_condition_does_not_hold(
    answers, required, not_needed
):
    result = engine.screen(engine.compile_criteria(SPEC), answers, AS_OF)
    assert (result.required, result.not_needed) == (required, not_needed)
    assert "not_needed" not in result.as_dict()


def test_an_82_year_old_without_a_recorded_sex_is_not_asked_about_pregnancy():
    result = engine.screen(default_compiled(), {"age_years": 82}, AS_OF)
    assert "pregnant" in result.not_needed
    result = engine.screen(default_compiled(), {"age_years": 40}, AS_OF)
    assert "pregnant" not in result.not_needed and "pregnant" in result.missing
    result = engine.screen(default_compiled(), {"age_years": 40, "patient_sex": "male"}, AS_OF)
    assert "pregnant" in result.not_needed and "pregnant" not in result.missing
