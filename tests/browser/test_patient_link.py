"""The patient's own link on a phone (390 px): the date of birth, a step of questions, a red
flag answered and what to do now shown at once, Spanish; axe finds nothing on each page. Then
the front desk sees the red flag first and the patient's answers marked."""

from __future__ import annotations

import datetime

from playwright.sync_api import expect

from intake.models import Intake
from intake.patient_link import services
from tests.browser.conftest import assert_no_axe_violations, tick
from tests.factories import IntakeFactory, PatientFactory

BIRTH = datetime.date(1946, 6, 1)


def test_patient_answers_on_a_phone_and_a_red_flag_is_routed(
    new_page, front_desk_user, screenshot, browser_errors
):
    browser_errors.allow(r"^400 POST .*/p/[^/]+/$")  # the wrong date of birth, on purpose
    draft = IntakeFactory(
        patient=PatientFactory(date_of_birth=BIRTH, sex="female", last_name="Okafor")
    )
    _link, token = services.patient_link_create(intake_id=draft.pk, user=front_desk_user)
    page = new_page("phone")

    page.goto(f"/p/{token}/")
    expect(page.get_by_role("heading", name="Your questions before your visit")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "date-of-birth")
    page.get_by_label("Your date of birth").fill("1950-01-01")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("That date does not match our records. Tries left: 4.")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label("Your date of birth").fill(BIRTH.isoformat())
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_text("Step 1 of 7")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "step-1")
    page.get_by_role("button", name="Save and go on").click()
    page.get_by_role("button", name="Save and go on").click()
    expect(page.get_by_text("Step 3 of 7")).to_be_visible()
    page.get_by_label("How bad is your back pain today?").fill("8")
    tick(page.get_by_role("group", name="In the last 2 weeks").get_by_label("Worsening"))
    screenshot(page, "step-3-answered")
    page.get_by_role("button", name="Save and go on").click()
    page.get_by_role("button", name="Save and go on").click()

    expect(page.get_by_text("Step 5 of 7")).to_be_visible()
    tick(
        page.get_by_role("group", name="Do you have numbness between your legs").get_by_label("Yes")
    )
    page.get_by_role("button", name="Save and go on").click()
    emergency = page.locator("#patient-emergency")
    expect(emergency).to_contain_text("Call 911 or go to the nearest emergency room now")
    expect(page.get_by_text("Step 6 of 7")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "red-flag")

    page.get_by_role("button", name="Español").click()
    expect(page.get_by_text("Paso 6 de 7")).to_be_visible()
    expect(page.locator("#patient-emergency")).to_contain_text("Llame al 911")
    assert_no_axe_violations(page)
    screenshot(page, "red-flag-es")

    intake = Intake.objects.get(pk=draft.pk)
    assert (intake.answers["pain_nrs"], intake.emergency_open) == (8, True)

    desk = new_page("desktop", user=front_desk_user)
    expect(desk.locator("#patient-red-flags")).to_contain_text("Okafor")
    desk.locator("#patient-red-flags a").first.click()
    expect(desk.get_by_text("The patient reported an emergency red flag")).to_be_visible()
    expect(desk.locator("#patient-answers")).to_contain_text("Answers from the patient (3)")
    screenshot(desk, "front-desk-form")

    desk.get_by_role("button", name="Make a new link").click()
    expect(desk.get_by_role("heading", name="Link for the patient")).to_be_visible()
    expect(desk.locator(".patient-slip svg")).to_be_visible()
    # The whole code is drawn inside its box (a clipped code does not scan).
    assert desk.evaluate(
        """() => {
            const box = document.querySelector('.patient-slip svg').getBoundingClientRect();
            const code = document.querySelector('.patient-slip svg path').getBoundingClientRect();
            return code.width > 100 && code.right <= box.right + 1 && code.bottom <= box.bottom + 1;
        }"""
    )
    assert_no_axe_violations(desk)
    screenshot(desk, "link-slip")
