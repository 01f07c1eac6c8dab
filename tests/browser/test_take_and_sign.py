"""A physician opens a case nobody holds: the sign button says it takes the case, and after
signing the case is theirs, named by patient in the message."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import tick
from tests.factories import PatientFactory
from tests.intake.review.factories import submitted_intake


def test_signing_a_case_nobody_holds_takes_it(new_page, physician_user, screenshot):
    intake = submitted_intake(
        outcome="candidate",
        patient=PatientFactory(last_name="Hopper", first_name="Grace", mrn="MRN-1"),
    )
    page = new_page("desktop", user=physician_user)
    page.goto(f"/review/{intake.pk}/")
    expect(page.locator("#assignment-heading + p")).to_contain_text("Nobody has taken this case")
    tick(page.get_by_label("Conservative care"))
    page.get_by_role("textbox", name="Reason").fill("Prefers to try a brace first.")
    sign = page.get_by_role("button", name="Take the case and sign")
    expect(sign).to_have_accessible_description(
        "Nobody has taken this case: signing takes it, and it is recorded as yours."
    )
    sign.scroll_into_view_if_needed()
    screenshot(page, "01-take-and-sign")
    sign.click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Decision signed for Hopper, Grace (MRN MRN-1): Conservative care, by Pat Spine at "
    )
    expect(page.locator(".alert-success")).to_contain_text(
        "The case is now yours: nobody had taken it before you signed."
    )
    expect(page.locator("#assignment-heading + p")).to_contain_text("You have this case")
    screenshot(page, "02-signed")
