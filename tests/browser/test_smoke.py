"""Smoke test of the pages a person clicks through, at desktop and phone width.

Asserts what the user sees and the flow, not outcome wording (that is the engine's business,
and the panel's labels are tested in tests/intake/).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import tick
from tests.intake.review.factories import submitted_intake

VIEWPORTS = ["desktop", "phone"]


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_front_desk_registers_a_patient_and_saves_a_draft_intake(
    new_page, front_desk_user, screenshot, viewport
):
    """Log in, register, start an intake, watch the live panel follow the answers, save."""
    page = new_page(viewport, user=front_desk_user)
    expect(page).to_have_url(re.compile(r"/patients/$"))
    expect(page.get_by_role("heading", name="Patients", level=1)).to_be_visible()
    screenshot(page, "01-patient-list")

    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Medical record number").fill("MRN-BROWSER-1")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("Date of birth").fill("1946-04-12")
    page.get_by_label("Sex").select_option("female")
    screenshot(page, "02-register")
    page.get_by_role("button", name="Register patient").click()

    expect(page.get_by_role("heading", name="Ada Okafor", level=1)).to_be_visible()
    expect(page.locator(".alert-success")).to_contain_text("MRN-BROWSER-1")
    screenshot(page, "03-patient")

    page.get_by_role("button", name=re.compile(r"^Start an? .*intake$", re.I)).click()
    expect(page).to_have_url(re.compile(r"/intakes/\d+/$"))
    form = page.locator("#intake-form")
    panel = page.locator("#live-panel")
    expect(form).to_be_visible()
    expect(panel).to_be_visible()
    level = page.locator("#div_id_fracture_level")
    expect(level).not_to_have_class(re.compile(r"\bquestion-required\b"))
    expect(panel.locator('a[href="#div_id_pain_nrs"]')).to_be_visible()
    screenshot(page, "04-intake-empty")

    # A confirmed fracture makes its level required: the server says so through the panel.
    tick(page.locator("#div_id_fracture_confirmed").get_by_label("Yes"))
    expect(level).to_have_class(re.compile(r"\bquestion-required\b"))
    expect(panel.locator('a[href="#div_id_fracture_level"]')).to_be_visible()

    # Typing is posted too (debounced): the pain score leaves the panel's missing list.
    page.get_by_label("Pain from the fracture").fill("7")
    expect(panel.locator('a[href="#div_id_pain_nrs"]')).to_have_count(0)
    expect(panel).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#panel-offline")).to_be_hidden()
    screenshot(page, "05-intake-answered")

    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/intakes/\d+/$"))
    expect(page.locator(".alert-success")).to_contain_text("Draft saved")
    # The saved answers come back in the form.
    expect(page.locator("#div_id_fracture_confirmed").get_by_label("Yes")).to_be_checked()
    expect(page.get_by_label("Pain from the fracture")).to_have_value("7")
    screenshot(page, "06-draft-saved")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_physician_opens_the_review_queue(new_page, physician_user, screenshot, viewport):
    """The physician lands on the queue and sees the submitted case with its actions."""
    intake = submitted_intake(patient__first_name="Grace", patient__last_name="Hopper")
    page = new_page(viewport, user=physician_user)

    expect(page).to_have_url(re.compile(r"/review/$"))
    expect(page.get_by_role("heading", name="Review queue", level=1)).to_be_visible()
    row = page.locator("table.review-queue tbody tr").filter(has_text=intake.patient.mrn)
    expect(row).to_have_count(1)
    patient_link = row.get_by_role("link", name=re.compile("Hopper")).first
    expect(patient_link).to_be_visible()
    expect(row.get_by_role("button", name="Take")).to_be_attached()
    expect(row.locator(".badge").first).to_be_visible()
    screenshot(page, "01-queue")

    # The patient's name opens the case (on a phone the row's Open button is scrolled away).
    patient_link.click()
    expect(page).to_have_url(re.compile(rf"/review/{intake.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot(page, "02-case")
