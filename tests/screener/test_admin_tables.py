"""The tables of a criteria set's parts in admin: fields stacked in a cell where a part has
too many columns for one screen."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.utils import flatten_fieldsets

from screener.admin.inlines import CodingRowInline, ContentBlockInline, QuestionInline
from screener.forms import (
    CodingRowForm,
    ContentBlockForm,
    OneLineTextarea,
    QuestionForm,
)
from tests.screener.test_admin import set_page, text

pytestmark = pytest.mark.django_db


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
