"""``required_when`` conditions as ``enableWhen``: what FHIR can say, and a reason for what it
cannot (pure: no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from intake.fhir.conditions import AskedQuestion, NotExpressible, enable_when
from screener.engine.types import QuestionType

ASKED = {
    "flag": AskedQuestion("flag", QuestionType.BOOL, ()),
    "other": AskedQuestion("other", QuestionType.BOOL, ()),
    "pain": AskedQuestion("pain", QuestionType.INT, ()),
    "ratio": AskedQuestion("ratio", QuestionType.DECIMAL, ()),
    "trend": AskedQuestion("trend", QuestionType.CHOICE, ("up", "flat", "down")),
    "onset": AskedQuestion("onset", QuestionType.DATE, ()),
}
PARAMETERS = {"pain_min": Decimal("5.0000"), "half": Decimal("0.5000")}


def translate(condition: str):
    return enable_when(
        condition,
        asked=ASKED,
        filled_by_app=frozenset({"age"}),
        parameters=PARAMETERS,
        coding=lambda code, choice: {"system": f"s/{code}", "code": choice},
    )


def coding(code: str, choice: str) -> dict:
    return {"system": f"s/{code}", "code": choice}


@pytest.mark.parametrize(
    ("condition", "conditions", "behavior"),
    [
        ("flag", [{"question": "flag", "operator": "=", "answerBoolean": True}], ""),
        ("not flag", [{"question": "flag", "operator": "!=", "answerBoolean": True}], ""),
        # A blank yes/no is false: "== False" holds when blank, as "!= true" does in FHIR.
        ("flag == False", [{"question": "flag", "operator": "!=", "answerBoolean": True}], ""),
        ("flag != False", [{"question": "flag", "operator": "=", "answerBoolean": True}], ""),
        ("pain >= 7", [{"question": "pain", "operator": ">=", "answerInteger": 7}], ""),
        ("7 <= pain", [{"question": "pain", "operator": ">=", "answerInteger": 7}], ""),
        ("pain >= pain_min", [{"question": "pain", "operator": ">=", "answerInteger": 5}], ""),
        ("pain > -1", [{"question": "pain", "operator": ">", "answerInteger": -1}], ""),
        ("ratio < half", [{"question": "ratio", "operator": "<", "answerDecimal": 0.5}], ""),
        (
            "trend != 'up'",
            [{"question": "trend", "operator": "!=", "answerCoding": coding("trend", "up")}],
            "",
        ),
        (
            "not trend == 'up'",
            [{"question": "trend", "operator": "!=", "answerCoding": coding("trend", "up")}],
            "",
        ),
        (
            "onset < '2025-01-01'",
            [{"question": "onset", "operator": "<", "answerDate": "2025-01-01"}],
            "",
        ),
        (
            "flag or other",
            [
                {"question": "flag", "operator": "=", "answerBoolean": True},
                {"question": "other", "operator": "=", "answerBoolean": True},
            ],
            "any",
        ),
        (
            "not flag and trend != 'down' and pain >= pain_min",
            [
                {"question": "flag", "operator": "!=", "answerBoolean": True},
                {"question": "trend", "operator": "!=", "answerCoding": coding("trend", "down")},
                {"question": "pain", "operator": ">=", "answerInteger": 5},
            ],
            "all",
        ),
        (
            "trend in ['up', 'flat']",
            [
                {"question": "trend", "operator": "=", "answerCoding": coding("trend", "up")},
                {"question": "trend", "operator": "=", "answerCoding": coding("trend", "flat")},
            ],
            "any",
        ),
        (
            "trend not in ['up', 'flat']",
            [
                {"question": "trend", "operator": "!=", "answerCoding": coding("trend", "up")},
                {"question": "trend", "operator": "!=", "answerCoding": coding("trend", "flat")},
            ],
            "all",
        ),
        (
            "flag or trend in ['up', 'flat']",
            [
                {"question": "flag", "operator": "=", "answerBoolean": True},
                {"question": "trend", "operator": "=", "answerCoding": coding("trend", "up")},
                {"question": "trend", "operator": "=", "answerCoding": coding("trend", "flat")},
            ],
            "any",
        ),
    ],
)
def test_expressible_conditions(condition, conditions, behavior):
    """Comparisons of one asked question with a value (or a parameter), joined by one 'and' or
    one 'or', become enableWhen with that behavior."""
    found = translate(condition)
    assert list(found.conditions) == conditions
    assert found.behavior == behavior


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ("age < 55", "age is filled by the app from the patient's record, so not an item"),
        ("weeks > 3", "weeks is not a question (a derived value or a parameter)"),
        ("flag and (other or pain > 3)", "it mixes 'and' with 'or' (enableWhen has one behavior)"),
        ("flag and trend in ['up', 'flat']", "'in' a list inside 'and' needs an 'or'"),
        ("pain + 1 > 3", "it compares a computed value (enableWhen compares an answer)"),
        ("pain > ratio", "it compares a question with something other than a value"),
        ("not pain < 5", "'not' here has no enableWhen operator that keeps blank answers"),
        ("1 < pain < 5", "a chained comparison has no enableWhen form"),
        ("trend == 'sideways'", "trend is compared with 'sideways', not one of its choices"),
        ("pain > 6.5", "pain is a whole number but is compared with 6.5"),
        ("trend > 'up'", "trend is not a number or a date, so it has no order"),
    ],
)
def test_inexpressible_conditions_say_why(condition, reason):
    """A condition enableWhen cannot say raises NotExpressible naming the reason."""
    with pytest.raises(NotExpressible) as raised:
        translate(condition)
    assert raised.value.reason.startswith(reason)
