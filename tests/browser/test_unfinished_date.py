"""A date typed in part is no value to the browser: sent, it would clear the saved answer
without a word. Saving stops at the field with a message beside it, and the answer is kept."""

from __future__ import annotations

import datetime

import time_machine
from playwright.sync_api import expect

from intake.models import Intake, IntakeStatus
from tests.browser.conftest import assert_no_axe_violations
from tests.factories import IntakeFactory

CLINIC_DAY = datetime.datetime(2025, 3, 14, 9, 30, tzinfo=datetime.UTC)
MESSAGE = "This date is not complete: enter the day, the month and the year, or clear it."


def test_a_half_typed_date_stops_the_save_and_keeps_the_saved_answer(
    new_page, front_desk_user, screenshot
):
    with time_machine.travel(CLINIC_DAY, tick=True):
        intake = IntakeFactory(
            status=IntakeStatus.DRAFT, answers={"symptom_onset_date": "2025-02-10"}
        )
        page = new_page(user=front_desk_user)
        page.goto(f"/intakes/{intake.pk}/")
        onset = page.get_by_label("Date this fracture's pain began")
        expect(onset).to_have_value("2025-02-10")

        # Clear the field, then type a month and a day but no year.
        onset.fill("")
        onset.focus()
        onset.press_sequentially("0301")
        assert onset.evaluate("input => input.validity.badInput") is True

        page.get_by_role("button", name="Save draft").click()
        message = page.get_by_text(MESSAGE)
        expect(message).to_be_visible()
        expect(onset).to_be_focused()
        expect(onset).to_have_attribute("aria-invalid", "true")
        assert page.url.endswith(f"/intakes/{intake.pk}/")
        assert_no_axe_violations(page)
        screenshot(page, "unfinished-date")
        page.wait_for_load_state("networkidle")  # the panel was posted the saved date, not ""
        assert Intake.objects.get(pk=intake.pk).answers["symptom_onset_date"] == "2025-02-10"

        # Finishing the date removes the message, and the save goes through.
        onset.fill("2025-03-01")
        expect(message).to_have_count(0)
        page.get_by_role("button", name="Save draft").click()
        expect(page.locator(".alert-success")).to_contain_text("Draft saved")
        assert Intake.objects.get(pk=intake.pk).answers["symptom_onset_date"] == "2025-03-01"
