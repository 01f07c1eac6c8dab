"""Sessions end after 15 minutes without a request and 12 hours after signing in, with a
clear message and an audit row; "Stay signed in" extends them; messages live in the session.

The clock is moved with time_machine; the limits are set here to their defaults, so a
different environment cannot change what these tests prove.
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client

from intake.models import AuditEvent, Intake
from tests.factories import FrontDeskFactory, IntakeFactory
from tests.intake.frontdesk_helpers import form_data, intake_url

pytestmark = pytest.mark.django_db

SIGN_IN = datetime.datetime(2025, 3, 14, 8, 0, tzinfo=datetime.UTC)
LOGIN = "/accounts/login/"
IDLE_MESSAGE = "You were signed out after 15 minutes without activity. What you saved is kept."
LIMIT_MESSAGE = (
    "You were signed out 12 hours after signing in, the longest a session lasts. "
    "What you saved is kept."
)


@pytest.fixture(autouse=True)
def limits(settings):
    settings.SESSION_IDLE_TIMEOUT = 15 * 60
    settings.SESSION_ABSOLUTE_TIMEOUT = 12 * 60 * 60
    settings.SESSION_WARNING_SECONDS = 60


@pytest.fixture
def clock():
    with time_machine.travel(SIGN_IN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk():
    return FrontDeskFactory(username="desk")


@pytest.fixture
def desk_client(client, clock, desk):
    client.force_login(desk)
    return client


def at(clock, **elapsed) -> None:
    """Move the clock to this long after signing in."""
    clock.move_to(SIGN_IN + datetime.timedelta(**elapsed))


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def logouts() -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(action="logout").values_list("username", "detail"))


def timed_out() -> list[tuple[str, str]]:
    """The sign-outs by a time limit (a plain sign-out row may also be written by whoever
    records every sign-out)."""
    return [row for row in logouts() if row[1] in ("idle time-out", "session limit")]


# ------------------------------------------------------------------------------- idle limit


def test_a_request_14_minutes_after_the_last_one_is_served(desk_client, clock):
    """Each request starts the 15 minutes again: 14 after sign-in, then 14 after that."""
    at(clock, minutes=14)
    assert desk_client.get("/patients/").status_code == 200
    at(clock, minutes=28)
    assert desk_client.get("/patients/").status_code == 200
    assert signed_in(desk_client)
    assert logouts() == []


def test_16_minutes_without_a_request_signs_out_to_the_login_page_with_the_reason(
    desk_client, clock
):
    at(clock, minutes=16)
    response = desk_client.get("/patients/?page=2")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/patients/"  # the path only, no query
    assert not signed_in(desk_client)
    login_page = desk_client.get(response["Location"])
    assert IDLE_MESSAGE in page_text(login_page)
    assert 'name="next" value="/patients/"' in page_text(login_page)
    # The message is shown once; the next request is simply not signed in.
    again = desk_client.get("/patients/")
    assert again["Location"] == f"{LOGIN}?next=/patients/"
    assert IDLE_MESSAGE not in page_text(desk_client.get(again["Location"]))


def test_the_idle_time_out_is_in_the_audit_log(desk_client, clock, desk):
    at(clock, minutes=16)
    desk_client.get("/patients/")
    assert logouts() == [("desk", "idle time-out")]  # one row, with its reason
    event = AuditEvent.objects.filter(action="logout", detail="idle time-out").get()
    assert (event.user, event.username, event.at) == (
        desk,
        "desk",
        SIGN_IN + datetime.timedelta(minutes=16),
    )


def test_a_form_posted_after_the_time_out_comes_back_to_its_page(desk_client, clock):
    at(clock, minutes=16)
    response = desk_client.post(
        "/patients/", {"q": "Garcia"}, HTTP_REFERER="http://testserver/patients/?page=3"
    )
    assert response["Location"] == f"{LOGIN}?next=/patients/"
    assert "intake.patient_search" not in desk_client.session  # nothing of the post was kept


def test_a_script_request_after_the_time_out_gets_401_with_the_login_address(
    desk_client, clock, default_set
):
    """The live panel must not render the login page inside itself."""
    intake = IntakeFactory()
    at(clock, minutes=16)
    response = desk_client.post(
        intake_url(intake, "panel/"),
        form_data({"pain_nrs": 7}, version=1),
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 401
    assert response.json() == {"signed_out": "idle time-out", "login_url": LOGIN}
    assert not signed_in(desk_client)


# ------------------------------------------------------------------------------- absolute limit


def test_twelve_hours_after_sign_in_signs_out_even_when_active(desk_client, clock):
    for minutes in range(10, 12 * 60, 10):  # a request every 10 minutes all day
        at(clock, minutes=minutes)
        assert desk_client.post("/session/keep-alive/").status_code == 204
    at(clock, hours=11, minutes=59)
    assert desk_client.get("/patients/").status_code == 200
    at(clock, hours=12, minutes=1)
    response = desk_client.get("/patients/")
    assert response["Location"] == f"{LOGIN}?next=/patients/"
    assert LIMIT_MESSAGE in page_text(desk_client.get(response["Location"]))
    assert timed_out() == [("desk", "session limit")]


def test_signing_in_again_starts_both_clocks_again(client, clock, desk):
    client.force_login(desk)
    at(clock, hours=11, minutes=50)
    client.force_login(desk)
    at(clock, hours=12, minutes=4)  # 12 h 4 min after the first sign-in, 14 min after this one
    assert client.get("/patients/").status_code == 200


# ------------------------------------------------------------------------------- what is activity


def test_keep_alive_extends_the_idle_window(desk_client, clock):
    at(clock, minutes=10)
    response = desk_client.post("/session/keep-alive/")
    assert (response.status_code, response.content) == (204, b"")
    at(clock, minutes=24)  # 24 after signing in, 14 after "Stay signed in"
    assert desk_client.get("/patients/").status_code == 200


def test_keep_alive_needs_the_csrf_token_and_a_signed_in_user(clock, desk):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(desk)
    assert strict.post("/session/keep-alive/").status_code == 403
    assert strict.get("/session/keep-alive/").status_code == 405
    anonymous = Client().post("/session/keep-alive/")
    assert anonymous["Location"] == f"{LOGIN}?next=/session/keep-alive/"


def test_the_live_panel_while_typing_is_activity(desk_client, clock, default_set):
    intake = IntakeFactory()
    at(clock, minutes=10)
    panel = desk_client.post(intake_url(intake, "panel/"), form_data({"pain_nrs": 7}, version=1))
    assert panel.status_code == 200
    at(clock, minutes=24)
    assert desk_client.get(intake_url(intake)).status_code == 200


def test_asking_how_long_is_left_is_not_activity(desk_client, clock):
    at(clock, minutes=10)
    status = desk_client.get("/session/status/")
    assert status.json() == {"seconds_left": 5 * 60, "renewable": True}
    at(clock, minutes=16)
    assert desk_client.get("/patients/")["Location"] == f"{LOGIN}?next=/patients/"


def test_the_status_says_when_the_twelve_hour_limit_comes_first(desk_client, clock):
    for minutes in range(10, 11 * 60 + 55, 10):
        at(clock, minutes=minutes)
        desk_client.post("/session/keep-alive/")
    at(clock, hours=11, minutes=55)
    assert desk_client.get("/session/status/").json() == {
        "seconds_left": 5 * 60,
        "renewable": False,
    }


def test_the_draft_saved_at_the_time_out_is_kept_and_is_not_activity(
    desk_client, clock, default_set
):
    intake = IntakeFactory()
    at(clock, minutes=14, seconds=58)
    saved = desk_client.post(
        intake_url(intake),
        form_data({"pain_nrs": 7}, version=1),
        HTTP_X_REQUESTED_WITH="fetch",
        HTTP_X_SESSION_ACTIVITY="none",
    )
    assert saved["Location"] == intake_url(intake)
    assert Intake.objects.get(pk=intake.pk).answers == {"pain_nrs": 7}
    at(clock, minutes=15, seconds=1)
    response = desk_client.get(intake_url(intake))
    assert response["Location"] == f"{LOGIN}?next={intake_url(intake)}"
    assert IDLE_MESSAGE in page_text(desk_client.get(response["Location"]))


def test_healthz_neither_ends_nor_extends_the_session(desk_client, clock):
    at(clock, minutes=16)
    response = desk_client.get("/healthz")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies  # the session was not written
    assert signed_in(desk_client)
    assert desk_client.get("/patients/")["Location"] == f"{LOGIN}?next=/patients/"


def test_a_clock_set_back_neither_ends_nor_extends_the_session(desk_client, clock):
    at(clock, minutes=-30)
    assert desk_client.get("/patients/").status_code == 200
    at(clock, minutes=16)
    assert desk_client.get("/patients/")["Location"] == f"{LOGIN}?next=/patients/"


# ------------------------------------------------------------------------------- the page


def test_logged_in_pages_carry_the_warning_and_its_script(desk_client, clock):
    at(clock, minutes=3)
    body = page_text(desk_client.get("/patients/"))
    assert 'data-seconds-left="900"' in body
    assert 'data-warning-seconds="60"' in body
    assert 'data-status-url="/session/status/"' in body
    assert 'action="/session/keep-alive/"' in body
    assert "You will be signed out in 60 seconds." in body
    assert "Stay signed in" in body
    assert "js/session.js" in body


def test_the_login_page_has_no_warning(client):
    body = page_text(client.get(LOGIN))
    assert "session-timeout" not in body
    assert "js/session.js" not in body


def test_only_the_draft_form_saves_itself_at_the_time_out(desk_client, clock, default_set):
    draft = IntakeFactory()
    assert 'data-autosave="draft"' in page_text(desk_client.get(intake_url(draft)))
    submitted = desk_client.post(
        intake_url(draft), form_data({"pain_nrs": 7}, version=1, action="submit")
    )
    assert submitted.status_code == 302
    edit = page_text(desk_client.get(intake_url(draft, "edit/")))
    assert 'id="intake-form"' in edit
    assert "data-autosave" not in edit


# ------------------------------------------------------------------------------- cookies


def test_registering_a_patient_leaves_no_patient_data_in_any_cookie(desk_client):
    """The confirmation names the patient: it waits in the session, not in a cookie."""
    desk_client.get("/patients/new/")
    registered = desk_client.post(
        "/patients/new/",
        {
            "mrn": "A-1001",
            "first_name": "Maria",
            "last_name": "Garcia Lopez",
            "date_of_birth": "1947-05-02",
            "sex": "female",
        },
    )
    assert registered.status_code == 302
    assert sorted(registered.cookies) == ["sessionid"]
    shown = desk_client.get(registered["Location"])
    assert "Patient Maria Garcia Lopez registered (MRN A-1001)." in page_text(shown)
    assert sorted(desk_client.cookies) == ["csrftoken", "sessionid"]
    for cookie in desk_client.cookies.values():
        for patient_data in ("Maria", "Garcia", "A-1001"):
            assert patient_data not in cookie.value
    session_cookie = desk_client.cookies["sessionid"]
    assert (session_cookie["max-age"], session_cookie["expires"]) == ("", "")  # browser session
