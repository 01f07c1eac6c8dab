"""The checklist form generated from the pinned set: names, widgets, labels, typing, errors."""

from __future__ import annotations

import re

import pytest

from intake.forms.intake_form import IntakeForm
from intake.selectors.intakes import set_questions
from screener import adapters
from tests.intake.frontdesk_helpers import AS_OF

pytestmark = pytest.mark.django_db


def make_form(default_set, data=None, answers=None, required=()):
    return IntakeForm(
        data,
        questions=set_questions(criteria_set=default_set),
        spec=adapters.compiled_criteria(default_set).spec,
        as_of=AS_OF,
        answers=answers or {},
        version=3,
        required=required,
    )


def test_every_asked_question_is_a_field_named_by_its_code_in_checklist_order(default_set):
    form = make_form(default_set)
    codes = [q.code for q in default_set.question_set.order_by("order") if not q.filled_by_app]
    assert [name for name in form.fields if not name.startswith("_")] == codes
    html = str(form.as_checklist())
    for code in codes:
        assert f'name="{code}"' in html
    assert 'name="age_years"' not in html
    assert 'name="_version" value="3"' in html


def test_sections_are_fieldsets_in_the_sets_order(default_set):
    html = str(make_form(default_set).as_checklist())
    legends = re.findall(r"<legend>([^<]+)</legend>", html)
    assert legends == [
        "Setting",
        "Fracture and imaging",
        "Pain and function",
        "Conservative care so far",
        "Red flags",
        "Bone health and risk factors",
        "Medicines, blood tests, allergies and procedure fitness",
    ]


def test_widgets_follow_the_question_types(default_set):
    html = str(make_form(default_set).as_checklist())
    # yes/no as radio buttons, with a way back to "not answered"
    assert re.search(r'type="radio"[^>]*name="hospitalized" value="true"', html)
    assert re.search(r'type="radio"[^>]*name="hospitalized" value="false"', html)
    assert re.search(r'type="radio"[^>]*name="hospitalized" value=""', html)
    # numbers as text with a number keypad (a type="number" field sends "" for "8-" or "1O",
    # and a blank would be saved over the answer); their range in the help text
    pain = re.search(r'<input type="text" name="pain_nrs"[^>]*>', html).group(0)
    assert 'inputmode="numeric"' in pain
    inr = re.search(r'<input type="text" name="inr"[^>]*>', html).group(0)
    assert 'inputmode="decimal"' in inr
    assert "From 0.5 to 10." in html
    # a long choice list as a select, a short one as radios
    assert '<select name="fracture_level"' in html
    assert re.search(r'type="radio"[^>]*name="pain_trend" value="worsening"', html)
    # dates as date inputs; the onset no later than the screening date
    onset = re.search(r'<input type="date" name="symptom_onset_date"[^>]*>', html).group(0)
    assert 'max="2025-03-14"' in onset


def test_each_field_has_its_prompt_as_a_real_label_and_its_help_text(default_set):
    html = str(make_form(default_set).as_checklist())
    assert re.search(r'<label\s+for="id_pain_nrs"[^>]*>\s*Pain from the fracture, 0', html)
    assert re.search(r"<legend[^>]*>\s*Currently an inpatient with this fracture", html)
    assert "Ask the patient. From 0 to 10." in html
    assert "Unknown (counts as not documented)" in html


def test_questions_required_now_are_marked(default_set):
    html = str(make_form(default_set, required={"pain_nrs"}).as_checklist())
    assert 'id="div_id_pain_nrs" class="mb-3 question question-required"' in html
    assert re.search(r'id="div_id_pregnant" class="[^"]*question"', html)


def test_stored_answers_are_shown(default_set):
    form = make_form(
        default_set,
        answers={"hospitalized": True, "pain_nrs": 9, "fracture_level": "L1", "inr": 1.2},
    )
    html = str(form.as_checklist())
    assert re.search(r'name="hospitalized" value="true"[^>]*checked', html)
    assert not re.search(r'name="hospitalized" value="false"[^>]*checked', html)
    assert re.search(r'name="pain_nrs" value="9"', html)
    assert re.search(r'<option value="L1" selected>', html)


def test_text_is_typed_like_manage_py_screen(default_set):
    form = make_form(
        default_set,
        data={
            "_version": "3",
            "hospitalized": "true",
            "mri_done": "false",
            "pain_nrs": " 9 ",
            "inr": "1.25",
            "conservative_weeks": "6.0",
            "fracture_level": "L1",
            "symptom_onset_date": "2025-02-28",
            "pregnant": "",
        },
    )
    assert form.is_valid(), form.errors
    changes = form.answer_changes()
    assert changes["hospitalized"] is True
    assert changes["mri_done"] is False
    assert changes["pain_nrs"] == 9 and isinstance(changes["pain_nrs"], int)
    assert changes["inr"] == 1.25
    assert changes["conservative_weeks"] == 6
    assert changes["fracture_level"] == "L1"
    assert changes["symptom_onset_date"] == "2025-02-28"
    assert changes["pregnant"] is None  # blank clears the answer
    assert form.loaded_version() == 3


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("pain_nrs", "11", "11 is above the maximum 10."),
        ("pain_nrs", "-1", "-1 is below the minimum 0."),
        ("pain_nrs", "5.5", "5.5 is not a whole number."),
        ("pain_nrs", "lots", "Expected a number, got 'lots'."),
        ("inr", "0.1", "0.1 is below the minimum 0.5."),
        ("fracture_level", "T13", "'T13' is not one of: cervical"),
        ("hospitalized", "maybe", "Expected true or false, got 'maybe'."),
        ("symptom_onset_date", "2025-02-30", "'2025-02-30' is not a real date."),
        ("symptom_onset_date", "14/03/2025", "Expected a date as YYYY-MM-DD, got '14/03/2025'."),
        (
            "symptom_onset_date",
            "2025-03-15",
            "2025-03-15 is after the screening date 2025-03-14.",
        ),
        (
            "advanced_imaging_date",
            "2025-04-01",
            "2025-04-01 is after the screening date 2025-03-14.",
        ),
    ],
)
def test_a_bad_value_gets_a_clear_message_and_the_rest_is_kept(default_set, field, typed, message):
    kept = "mri_done" if field == "hospitalized" else "hospitalized"
    form = make_form(default_set, data={"_version": "3", kept: "true", field: typed})
    assert not form.is_valid()
    assert form.errors[field][0].startswith(message)
    changes = form.answer_changes()
    assert field not in changes
    assert changes[kept] is True
    assert [row[0] for row in form.error_list()] == [f"id_{field}"]
