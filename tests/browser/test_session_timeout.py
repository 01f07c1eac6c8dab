"""The time-out as a person meets it in Chromium, with the limits shortened to seconds: the
warning before it, "Stay signed in", and a draft being typed saved before the sign-out.

These tests wait in real time (about 12 seconds each): the server's clock and the page's
timers are both part of what they prove. The moved-clock tests are tests/security/test_sessions.py.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from intake.models import AuditEvent, Intake, IntakeStatus
from tests.browser.conftest import PASSWORD
from tests.factories import IntakeFactory, PatientFactory

IDLE = 10
WARNING = 5
SIGNED_OUT = "You were signed out after 10 seconds without activity. What you saved is kept."
COUNTDOWN = re.compile(r"^You will be signed out in [1-5] seconds?\.$")


@pytest.fixture(autouse=True)
def short_sessions(settings):
    settings.SESSION_IDLE_TIMEOUT = IDLE
    settings.SESSION_WARNING_SECONDS = WARNING


def test_a_draft_being_typed_is_saved_before_the_time_out_signs_out(
    new_page, front_desk_user, screenshot
):
    intake = IntakeFactory(patient=PatientFactory(last_name="Quist"), status=IntakeStatus.DRAFT)
    page = new_page(user=front_desk_user)
    page.goto(f"/intakes/{intake.pk}/")
    page.get_by_label("Pain from the fracture").fill("7")  # typed, never saved by hand

    warning = page.locator("#session-timeout")
    expect(warning).to_be_visible(timeout=(IDLE + 2) * 1000)
    expect(warning.locator(".session-message")).to_have_text(COUNTDOWN)
    expect(warning.locator(".session-note")).to_have_text("Your draft will be saved first.")
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_visible()
    screenshot(page, "01-warning")

    expect(page).to_have_url(
        re.compile(rf"/accounts/login/\?next=/intakes/{intake.pk}/$"), timeout=(IDLE + 5) * 1000
    )
    expect(page.get_by_role("status")).to_have_text(SIGNED_OUT)
    screenshot(page, "02-signed-out")
    assert Intake.objects.get(pk=intake.pk).answers == {"pain_nrs": 7}
    timed_out = AuditEvent.objects.filter(action="logout", detail="idle time-out")
    assert list(timed_out.values_list("username", flat=True)) == [front_desk_user.username]

    # Signing in again comes back to the form, with the saved answer in it.
    page.get_by_label("Username").fill(front_desk_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(rf"/intakes/{intake.pk}/$"))
    expect(page.get_by_label("Pain from the fracture")).to_have_value("7")


def test_stay_signed_in_keeps_the_session(new_page, front_desk_user, screenshot):
    page = new_page(user=front_desk_user)
    loaded = time.monotonic()
    page.goto("/patients/")
    warning = page.locator("#session-timeout")
    expect(warning).to_be_visible(timeout=(IDLE + 2) * 1000)
    screenshot(page, "01-warning")
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()

    # Past the moment the session would have ended without the click: still signed in.
    page.wait_for_timeout((loaded + IDLE + 1.5 - time.monotonic()) * 1000)
    status = page.request.get("/session/status/")
    assert status.status == 200
    assert status.json()["seconds_left"] > 0
    expect(page).to_have_url(re.compile(r"/patients/$"))
    assert not AuditEvent.objects.filter(action="logout").exists()
