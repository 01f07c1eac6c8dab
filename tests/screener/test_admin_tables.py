"""The tables of a criteria set's parts in admin: every input named for its column and row,
no empty header cell, and fields stacked in a cell where a part has too many columns."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.utils import flatten_fieldsets

from screener.admin.inlines import CodingRowInline, ContentBlockInline, QuestionInline
from screener.forms import (
    CheckboxGroup,
    CodingRowForm,
    ContentBlockForm,
    OneLineTextarea,
    QuestionForm,
)
from screener.services import criteria_set_clone
from tests.screener.test_admin import set_page, text

pytestmark = pytest.mark.django_db


def test_each_input_of_a_draft_part_is_named_for_its_column_and_row(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    page = text(client_admin.get(set_page(draft, "rules")))
    assert re.search(
        r'name="rule_set-\d+-condition"[^>]*aria-label="Condition of rule rf_minor"', page
    )
    assert 'aria-label="Delete rule rf_minor"' in page
    assert 'aria-label="Condition of new rule"' in page  # the row the "Add another" link copies
    page = text(client_admin.get(set_page(draft, "parameters")))
    assert 'aria-label="Value of parameter nrs_outpatient_min = 5"' in page


@pytest.mark.parametrize("part", ["parameters", "questions", "rules", "coding", "content"])
def test_no_header_cell_of_a_part_is_empty(client_admin, default_set, part):
    for criteria_set in (default_set, criteria_set_clone(criteria_set=default_set)):
        page = text(client_admin.get(set_page(criteria_set, part)))
        assert re.findall(r"<th[^>]*>\s*</th>", page) == []


def test_a_checkbox_group_is_named_and_each_box_keeps_its_own_label():
    widget = CheckboxGroup(
        attrs={"aria-label": "Readers of content block Handout"},
        choices=[("patient", "Patients"), ("staff", "Front desk")],
    )
    html = widget.render("readers", ["staff"], attrs={"id": "id_readers"})
    assert html.startswith('<div role="group" aria-label="Readers of content block Handout">')
    assert html.count("aria-label") == 1
    assert re.search(r'<label for="id_readers_1"><input[^>]*checked>\s*Front desk</label>', html)


@pytest.mark.parametrize(
    ("inline", "form"),
    [
        (QuestionInline, QuestionForm),
        (CodingRowInline, CodingRowForm),
        (ContentBlockInline, ContentBlockForm),
    ],
)
def test_a_part_with_stacked_cells_shows_every_field_of_its_form_once(inline, form):
    shown = flatten_fieldsets([(None, {"fields": inline.fields})])
    assert sorted(shown) == sorted(f for f in form.Meta.fields if f != "criteria_set")


def test_a_published_set_shows_its_questions_numbers_as_typed_in_stacked_cells(
    client_admin, default_set
):
    page = text(client_admin.get(set_page(default_set, "questions")))
    assert re.search(r'<span class="cell-label">Max value</span>\s*<p>120</p>', page)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Pain from the\r\nfracture", "Pain from the fracture"),
        ("Two  spaces stay", "Two  spaces stay"),
        ("Line \n\n break ", "Line break "),
    ],
)
def test_a_one_line_text_in_a_wrapping_box_turns_line_breaks_into_spaces(typed, stored):
    assert OneLineTextarea().value_from_datadict({"prompt": typed}, {}, "prompt") == stored
