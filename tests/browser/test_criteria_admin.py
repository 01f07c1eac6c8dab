"""The criteria admin's draft pages in Chromium at 1366 px: every part's table fits the page
(no sideways scroll of the page), and the parameter and rule tables show every column."""

from __future__ import annotations

import pytest
from django.urls import reverse

from screener.services import criteria_set_clone

PARTS = ["parameters", "questions", "rules", "coding", "content", "golden", "history"]

# Right edges of the header cells beyond the page's visible width (a hidden column).
COLUMNS_CUT_OFF = """() => [...document.querySelectorAll('.inline-group table thead th')]
    .filter(th => th.getBoundingClientRect().right > document.documentElement.clientWidth)
    .map(th => th.textContent.trim())"""


@pytest.mark.parametrize("part", PARTS)
def test_a_draft_part_fits_a_1366_px_screen(criteria_admin_page, default_set, screenshot, part):
    page = criteria_admin_page
    draft = criteria_set_clone(criteria_set=default_set)
    page.goto(f"{reverse('admin:screener_criteriaset_change', args=[draft.pk])}?part={part}")
    assert page.viewport_size == {"width": 1366, "height": 900}
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"the {part} page is {width} px wide"
    if part in ("parameters", "rules"):
        assert page.evaluate(COLUMNS_CUT_OFF) == []
        assert page.locator(".inline-group table thead th").count() > 5
    screenshot(page, part)
