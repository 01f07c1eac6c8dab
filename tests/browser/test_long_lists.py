"""Long lists: past the exact count a list says "about N" and its pages still go on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from intake.selectors import pagination
from tests.browser.conftest import assert_no_axe_violations
from tests.factories import IntakeFactory, PatientFactory


@pytest.mark.parametrize(
    ("viewport", "estimate", "count", "first_page"),
    [
        ("desktop", 30, "About 30 patients", "Page 1 of about 2"),
        ("phone", 0, "More than 20 patients", "Page 1"),  # no estimate: SQLite
    ],
    ids=["estimated-desktop", "no-estimate-phone"],
)
def test_a_long_patient_list_says_about_how_many_and_pages_on(
    new_page,
    front_desk_user,
    screenshot,
    monkeypatch,
    default_set,
    viewport,
    estimate,
    count,
    first_page,
):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 20)
    monkeypatch.setattr(pagination, "planner_estimate", lambda rows: estimate)
    for n in range(30):
        patient = PatientFactory(last_name=f"Lind{n:02d}", first_name="Ann")
        IntakeFactory.create_batch(n % 3, patient=patient)
    page = new_page(viewport, user=front_desk_user)
    page.goto("/patients/")
    expect(page.get_by_text(f"{count}, in name order.")).to_be_visible()
    pages = page.get_by_role("navigation", name="Pages")
    expect(pages.locator(".active")).to_have_text(first_page)
    expect(page.get_by_role("row")).to_have_count(26)  # the header and 25 patients
    assert_no_axe_violations(page)
    screenshot(page, "01-about-n-patients")

    pages.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"/patients/\?page=2$"))
    expect(page.get_by_role("row")).to_have_count(6)
    expect(page.get_by_role("row", name=re.compile(r"Lind29, Ann"))).to_contain_text("2")
    expect(pages.get_by_text("Next")).not_to_have_attribute("href", re.compile("."))
    screenshot(page, "02-second-page")
