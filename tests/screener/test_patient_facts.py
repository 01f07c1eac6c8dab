"""Questions filled by the app name the patient fact that fills them (criteria data, not code):
the age from the date of birth, the sex from the patient record. The default set asks about
pregnancy only when the age and the recorded sex make it possible."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from intake.models import Sex
from screener import adapters, engine
from screener.models import RECORDED_SEXES, CriteriaSet, PatientFact, Question
from screener.transfer import CriteriaFileInvalid, parse_criteria_data
from tests.criteria_data import default_compiled

AS_OF = datetime.date(2025, 3, 14)


def born_aged(age: int) -> datetime.date:
    return datetime.date(AS_OF.year - age, 1, 1)


def test_the_sexes_a_question_may_take_are_the_patient_records():
    assert tuple(Sex.values) == RECORDED_SEXES


# ------------------------------------------------------------------------------------------
# Filling: the adapter, by the fact each question names


FILLS = {"age_years": PatientFact.AGE, "patient_sex": PatientFact.SEX}


@pytest.mark.parametrize(
    ("patient", "filled"),
    [
        (None, {}),
        (adapters.PatientRecord(), {}),
        (
            adapters.PatientRecord(date_of_birth=born_aged(82), sex="male"),
            {"age_years": 82, "patient_sex": "male"},
        ),
        (
            adapters.PatientRecord(date_of_birth=datetime.date(1985, 3, 15), sex="female"),
            {"age_years": 39, "patient_sex": "female"},  # the birthday is the day after
        ),
    ],
)
def test_the_app_fills_each_question_from_the_fact_it_names(patient, filled):
    assert adapters.app_filled_answers(FILLS, patient, as_of=AS_OF) == filled


@pytest.mark.parametrize(
    ("sex", "typed"),
    [("female", "female"), ("male", "male"), ("other", "other"), ("unknown", None)],
)
def test_a_recorded_sex_is_typed_as_the_question_takes_it(sex, typed):
    """The default set counts "unknown" as blank: not documented."""
    spec = default_compiled().spec
    answers, invalid = adapters.typed_answers(
        spec, {"patient_sex": "male"}, as_of=AS_OF, filled={"patient_sex": sex}
    )
    assert (answers["patient_sex"], invalid) == (typed, {})


def test_a_filled_answer_replaces_a_stored_one_and_the_age_is_taken_as_the_record_gives_it():
    """As the app always did: a stored age is replaced, and an age past the question's range
    (a date of birth before 1905) is not refused."""
    spec = default_compiled().spec
    answers, invalid = adapters.typed_answers(
        spec, {"age_years": 500, "pain_nrs": 11}, as_of=AS_OF, filled={"age_years": 121}
    )
    assert answers == {"age_years": 121}
    assert invalid == {"pain_nrs": "11 is above the maximum 10"}


# ------------------------------------------------------------------------------------------
# The default set: pregnancy only when the age and the sex make it possible


@pytest.mark.parametrize(
    ("age", "sex", "asked"),
    [
        (82, Sex.MALE, False),
        (40, Sex.MALE, False),
        (82, Sex.FEMALE, False),
        (40, Sex.FEMALE, True),
        (40, Sex.OTHER, True),
        (40, Sex.UNKNOWN, True),
        (40, None, True),  # no record (manage.py screen, the examples): as before
    ],
)
def test_pregnancy_is_asked_only_when_the_age_and_sex_make_it_possible(
    default_set, age, sex, asked
):
    patient = adapters.PatientRecord(date_of_birth=born_aged(age), sex=sex)
    result, screened = adapters.screen_answers(default_set, {}, as_of=AS_OF, patient=patient)
    assert ("pregnant" in result.missing) is asked
    assert ("pregnant" in result.required) is asked
    assert ("pregnant" in result.not_needed) is not asked
    assert screened["age_years"] == age
    assert screened.get("patient_sex") == (
        sex if sex in (Sex.MALE, Sex.FEMALE, Sex.OTHER) else None
    )


def test_a_missing_sex_keeps_the_command_line_screening_as_before(default_set, tmp_path):
    """A case without a sex (the command line, the shared examples): a 40-year-old still owes
    the pregnancy answer, exactly as under the condition ``age_years < 55``."""
    cases = tmp_path / "cases.json"
    cases.write_text(
        json.dumps(
            {"procedure": "vertebroplasty", "as_of": "2025-03-14", "answers": {"age_years": 40}}
        )
    )
    out = io.StringIO()
    call_command("screen", str(cases), stdout=out)
    assert "pregnant" in json.loads(out.getvalue())["missing"]


def test_the_default_set_fills_the_age_and_the_sex_and_asks_neither(default_set):
    assert adapters.app_filled_questions(default_set) == {
        "age_years": PatientFact.AGE,
        "patient_sex": PatientFact.SEX,
    }
    sex = default_set.question_set.get(code="patient_sex")
    assert (sex.section, sex.requirement, sex.choices) == (
        default_set.question_set.get(code="age_years").section,
        "optional",
        list(RECORDED_SEXES),
    )


# ------------------------------------------------------------------------------------------
# Criteria data: the field's checks, and files written before it existed


def question(**fields) -> Question:
    values = {
        "code": "q",
        "section": "S",
        "prompt": "Q",
        "type": "int",
        "criteria_set": CriteriaSet(pk=1),
    } | fields
    return Question(**values)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"type": "int", "filled_from": "age"}, None),
        ({"type": "decimal", "filled_from": "age"}, None),
        ({"type": "choice", "choices": ["a"], "filled_from": "age"}, "number question"),
        ({"type": "choice", "choices": ["female", "male"], "filled_from": "sex"}, None),
        ({"type": "choice", "choices": ["female", "man"], "filled_from": "sex"}, "record's"),
        ({"type": "bool", "filled_from": "sex"}, "record's"),
        ({"type": "bool", "filled_from": "height"}, "is not a valid choice"),
    ],
)
def test_a_fact_fills_only_a_question_that_can_take_it(fields, error):
    try:
        question(**fields).full_clean(exclude=["criteria_set"], validate_unique=False)
    except ValidationError as exc:
        assert error is not None and error in str(exc.message_dict["filled_from"])
    else:
        assert error is None


def format_2_file(derived_by_app, kind="int") -> dict:
    return {
        "format": "spine-screener-criteria",
        "format_version": 2,
        "procedure": {"slug": "old-file", "name": "Old file"},
        "criteria_set": {"procedure_name": "Old file"},
        "questions": [
            {
                "code": "age",
                "section": "S",
                "prompt": "Age",
                "type": kind,
                "choices": ["a"] if kind == "choice" else [],
                "requirement": "always",
                "derived_by_app": derived_by_app,
            }
        ],
        "rules": [
            {
                "code": "pw",
                "effect": "pathway",
                "condition": "age > 18",
                "message": "Adult.",
                "source": "S",
            }
        ],
    }


@pytest.mark.parametrize(
    ("derived_by_app", "kind", "filled_from"),
    [(True, "int", "age"), (False, "int", ""), (True, "choice", "")],
)
def test_a_format_2_file_reads_derived_by_app_as_the_age(derived_by_app, kind, filled_from):
    data = format_2_file(derived_by_app, kind)
    if kind == "choice":  # a choice question is compared with text
        data["rules"][0]["condition"] = "age == 'a'"
    [read] = parse_criteria_data(data).items["questions"]
    assert read.filled_from == filled_from


def test_a_format_2_file_with_a_bad_derived_by_app_is_refused_naming_it():
    with pytest.raises(CriteriaFileInvalid) as refused:
        parse_criteria_data(format_2_file("yes"))
    assert refused.value.errors == ["questions[0]: unknown field(s) derived_by_app"]


def test_a_format_3_file_has_no_derived_by_app():
    data = format_2_file(True) | {"format_version": 3}
    with pytest.raises(CriteriaFileInvalid) as refused:
        parse_criteria_data(data)
    assert refused.value.errors == ["questions[0]: unknown field(s) derived_by_app"]


def test_the_engine_knows_only_that_a_question_is_filled_by_the_app():
    fields = {f for f in engine.QuestionSpec.__dataclass_fields__}
    assert "filled_by_app" in fields
    assert not {"filled_from", "fact", "sex", "date_of_birth"} & fields
