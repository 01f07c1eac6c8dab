"""Recording a screening stores the whole result and pins the version screened under."""

from __future__ import annotations

import datetime

import pytest

from intake.models import ScreeningKind
from intake.services.screenings import screening_record
from screener import adapters
from tests.criteria_data import example
from tests.factories import IntakeFactory, PatientFactory

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2025, 3, 14)


def test_screening_stores_every_rule_and_fills_the_age(default_set):
    answers = example("ex-inpatient-candidate.json")["answers"]
    del answers["age_years"]
    intake = IntakeFactory(
        patient=PatientFactory(date_of_birth=datetime.date(1946, 3, 15)), answers=answers
    )
    screening = screening_record(intake=intake, as_of=AS_OF, kind=ScreeningKind.SUBMISSION)
    assert screening.answers["age_years"] == 78  # the 79th birthday is the day after
    assert screening.outcome == "candidate"
    assert screening.suggested_codes == ["22511"]
    assert screening.criteria_set == default_set
    assert len(screening.rule_results) == 49
    assert screening.rule_results[0]["code"] == "rf_cauda_equina"
    intake.refresh_from_db()
    assert (intake.latest_screening, intake.outcome, intake.emergency) == (
        screening,
        "candidate",
        False,
    )


def test_age_on_birthday_boundaries():
    born = datetime.date(2000, 2, 29)
    assert adapters.age_on(born, datetime.date(2018, 2, 28)) == 17
    assert adapters.age_on(born, datetime.date(2018, 3, 1)) == 18


def test_answers_the_set_no_longer_accepts_are_left_out_and_reported(default_set):
    spec = adapters.compiled_criteria(default_set).spec
    typed, invalid = adapters.typed_answers(
        spec, {"pain_nrs": 12, "retired_question": True, "hospitalized": True}, as_of=AS_OF
    )
    assert typed == {"hospitalized": True}
    assert invalid == {
        "pain_nrs": "12 is above the maximum 10",
        "retired_question": "not a question of this criteria set",
    }
