"""Typing JSON answers: every kind of bad value gets a message naming what is wrong."""

from __future__ import annotations

import datetime

import pytest

from screener import engine
from tests.criteria_data import AS_OF, default_spec


def parse(answers):
    return engine.parse_answers(default_spec(), answers, AS_OF)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"pain_nrs": 5}, {"pain_nrs": 5}),
        ({"pain_nrs": 5.0}, {"pain_nrs": 5}),
        ({"inr": 2}, {"inr": 2.0}),
        ({"inr": 0.5}, {"inr": 0.5}),
        ({"hospitalized": False}, {"hospitalized": False}),
        ({"pain_trend": "stable"}, {"pain_trend": "stable"}),
        ({"symptom_onset_date": "2025-03-14"}, {"symptom_onset_date": datetime.date(2025, 3, 14)}),
        ({"pain_nrs": None}, {"pain_nrs": None}),
    ],
)
def test_good_answers_are_typed(answers, expected):
    assert parse(answers) == expected


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({"pain_nrs": 11}, "answers.pain_nrs", "11 is above the maximum 10"),
        ({"pain_nrs": -1}, "answers.pain_nrs", "-1 is below the minimum 0"),
        ({"pain_nrs": 5.5}, "answers.pain_nrs", "5.5 is not a whole number"),
        ({"pain_nrs": True}, "answers.pain_nrs", "expected a number, got true"),
        ({"pain_nrs": "5"}, "answers.pain_nrs", "expected a number, got '5'"),
        ({"inr": 10.5}, "answers.inr", "10.5 is above the maximum 10.0"),
        ({"inr": 0.4}, "answers.inr", "0.4 is below the minimum 0.5"),
        ({"inr": float("inf")}, "answers.inr", "expected a finite number"),
        ({"hospitalized": "yes"}, "answers.hospitalized", "expected true or false, got 'yes'"),
        ({"hospitalized": 1}, "answers.hospitalized", "expected true or false, got 1"),
        (
            {"pain_trend": "better"},
            "answers.pain_trend",
            "'better' is not one of: worsening, stable, improving",
        ),
        (
            {"pain_trend": 3},
            "answers.pain_trend",
            "expected one of worsening, stable, improving; got 3",
        ),
        ({"fracture_level": "l1"}, "answers.fracture_level", "'l1' is not one of: cervical, T1"),
        (
            {"symptom_onset_date": "2025-02-30"},
            "answers.symptom_onset_date",
            "'2025-02-30' is not a real date",
        ),
        (
            {"symptom_onset_date": "14/03/2025"},
            "answers.symptom_onset_date",
            "expected a date as YYYY-MM-DD, got '14/03/2025'",
        ),
        (
            {"symptom_onset_date": "2025-3-1"},
            "answers.symptom_onset_date",
            "expected a date as YYYY-MM-DD, got '2025-3-1'",
        ),
        (
            {"symptom_onset_date": "2025-03-15"},
            "answers.symptom_onset_date",
            "2025-03-15 is after the screening date 2025-03-14",
        ),
        (
            {"symptom_onset_date": "2025-03-01", "advanced_imaging_date": "2025-06-10"},
            "answers.advanced_imaging_date",
            "2025-06-10 is after the screening date 2025-03-14",
        ),
        ({"pain_score": 5}, "answers.pain_score", "unknown question code 'pain_score'"),
        (
            {"hospitalized": True, "pain_nrs": 11, "inr": 99},
            "answers.pain_nrs",
            "11 is above the maximum 10",
        ),
    ],
)
def test_bad_answer_names_its_field(answers, field, message):
    with pytest.raises(engine.AnswerError) as excinfo:
        parse(answers)
    assert excinfo.value.field == field
    assert excinfo.value.message.startswith(message)
