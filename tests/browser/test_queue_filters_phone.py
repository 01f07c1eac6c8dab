"""The review queue on a phone (390 x 844): the counts per outcome, the filters and the search
fold behind a "Filters" button, so that the first screen shows the queue's first cases; the
button opens them, and after filtering they stay open and show the filter that is on. On a
wide screen they are always shown, without the button."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_axe_violations
from tests.factories import PatientFactory
from tests.intake.review.factories import submitted_intake

NOW = datetime.datetime(2025, 3, 17, 9, 0, tzinfo=datetime.UTC)
FILTERS_BUTTON = re.compile(r"^Filters")  # not "Apply filters"
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def a_days_queue(default_set):
    """Seven cases on Monday 17 March 2025, 09:00 (the clock frozen, ticking): an emergency
    nobody has acted on (a red row), an urgent referral, candidates, and a conservative case
    waiting past the turnaround limit (a yellow row)."""
    with time_machine.travel(NOW, tick=True):
        for hours, (outcome, last_name) in [
            (1, ("emergency", "Cauda")),
            (2, ("urgent", "Fever")),
            (3, ("candidate_with_cautions", "Lovelace")),
            (4, ("candidate", "Hopper")),
            (5, ("candidate", "Curie")),
            (6, ("needs_info", "Noether")),
            (200, ("conservative", "Mild")),
        ]:
            submitted_intake(
                outcome=outcome,
                patient=PatientFactory(last_name=last_name, first_name="Pat"),
                submitted_at=NOW - datetime.timedelta(hours=hours),
            )
        yield


def rows(page: Page):
    return page.get_by_role("region", name="Cases for review").locator("tbody tr")


def test_on_a_phone_the_first_screen_shows_cases_and_the_filters_open_on_demand(
    a_days_queue, new_page, physician_user, screenshot
):
    page = new_page("phone", user=physician_user)
    page.goto("/review/")
    toggle = page.get_by_role("button", name=FILTERS_BUTTON)
    filters = page.get_by_role("form", name="Filters")

    # Folded: the first screen shows the first cases, urgent first, not only filters.
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "queue-filters")
    expect(filters).to_be_hidden()
    expect(page.get_by_role("navigation", name="Cases per outcome")).to_be_hidden()
    expect(page.get_by_role("searchbox", name="Patient name or MRN")).to_be_hidden()
    expect(rows(page).nth(0)).to_contain_text("Cauda, Pat")
    expect(rows(page).nth(0)).to_contain_text("No emergency action recorded")
    expect(rows(page).nth(1)).to_contain_text("Fever, Pat")
    expect(rows(page).nth(1)).to_contain_text("Urgent referral")
    for number in range(3):
        expect(rows(page).nth(number).get_by_role("link").first).to_be_in_viewport()
    screenshot(page, "01-folded")
    assert_no_axe_violations(page)

    # The button opens them.
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(filters).to_be_visible()
    expect(page.get_by_role("searchbox", name="Patient name or MRN")).to_be_visible()
    expect(filters.get_by_label("Outcome", exact=True)).to_be_in_viewport()
    screenshot(page, "02-opened")
    assert_no_axe_violations(page)

    # Filtering: the matching rows, and the filters stay open showing the one that is on.
    filters.get_by_label("Outcome", exact=True).select_option(label="Information needed")
    filters.get_by_role("button", name="Apply filters").click()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Noether, Pat")
    expect(toggle).to_have_accessible_name("Filters 1 active")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(filters).to_be_visible()
    expect(filters.get_by_label("Outcome", exact=True)).to_have_value("needs_info")
    counts = page.get_by_role("navigation", name="Cases per outcome")
    expect(counts.locator("[aria-current=page]")).to_contain_text("Information needed")
    assert page.evaluate(SIDEWAYS) <= 0
    screenshot(page, "03-filtered")
    assert_no_axe_violations(page)

    # Folding them again leaves the filtered cases.
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(filters).to_be_hidden()
    expect(rows(page).first.get_by_role("link").first).to_be_in_viewport()
    assert page.evaluate(SIDEWAYS) <= 0


def test_on_a_wide_screen_the_filters_are_always_shown_without_the_button(
    a_days_queue, new_page, physician_user, screenshot
):
    page = new_page("desktop", user=physician_user)
    page.goto("/review/")
    expect(page.get_by_role("form", name="Filters")).to_be_visible()
    expect(page.get_by_role("navigation", name="Cases per outcome")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Patient name or MRN")).to_be_visible()
    expect(page.get_by_role("button", name=FILTERS_BUTTON)).to_be_hidden()
    screenshot(page, "wide")
    assert_no_axe_violations(page)  # the red and the yellow rows too
