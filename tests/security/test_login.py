"""Sign-in: lockout after 5 failures (username or address) for 15 minutes, on the login page
and on Django admin's; every attempt in the audit log; Argon2 hashes; 12-character minimum;
setup_demo refuses a weak DEMO_PASSWORD."""

from __future__ import annotations

import datetime
import io
import os
import re
import sqlite3
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from config.settings import base as base_settings
from intake.models import AuditEvent
from intake.services.accounts import DEMO_ACCOUNTS
from tests.factories import CriteriaAdminFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"  # the factories' password
START = datetime.datetime(2025, 3, 14, 9, 0, tzinfo=datetime.UTC)
LOGIN_PAGES = [pytest.param("login", id="accounts-login"), pytest.param("admin:login", id="admin")]
LOCKED_DETAIL = "locked out for 15 minutes after 5 failed sign-ins (username or address)"
REFUSED_DETAIL = "sign-in refused unchecked: username or address locked out"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def staff():
    """A criteria admin: staff, so the same password opens both login pages."""
    return CriteriaAdminFactory(username="cadmin")


def attempt(client, page: str, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        reverse(page), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def signed_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


def page_text(response) -> str:
    """The page as a person reads it: the text without tags, spaces collapsed."""
    html = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def fail_five_times(client, page: str, username: str, address: str = "127.0.0.1") -> list[int]:
    return [
        attempt(client, page, username, "wrong-password", address).status_code for _ in range(5)
    ]


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_five_wrong_passwords_lock_the_username_from_every_address(client, clock, staff, page):
    """The fifth failure answers 429; then the right password is refused, from any address."""
    assert fail_five_times(client, page, "cadmin") == [200, 200, 200, 200, 429]

    for address in ("127.0.0.1", "10.0.0.9"):
        response = attempt(client, page, "cadmin", PASSWORD, address)
        assert response.status_code == 429
        assert signed_in_as(client) is None


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_five_failures_from_one_address_lock_that_address_for_every_username(
    client, clock, staff, page
):
    """Five guessed usernames from one address lock the address, not the real username."""
    statuses = [
        attempt(client, page, f"guess{n}", "wrong-password", "10.0.0.5").status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]

    assert attempt(client, page, "cadmin", PASSWORD, "10.0.0.5").status_code == 429
    assert signed_in_as(client) is None

    assert attempt(client, page, "cadmin", PASSWORD, "10.0.0.6").status_code == 302
    assert signed_in_as(client) == str(staff.pk)


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_four_failures_do_not_lock(client, clock, staff, page):
    """The limit is five: after four wrong passwords the right one signs in."""
    for _ in range(4):
        assert attempt(client, page, "cadmin", "wrong-password").status_code == 200
    assert attempt(client, page, "cadmin", PASSWORD).status_code == 302
    assert signed_in_as(client) == str(staff.pk)


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_the_lockout_lifts_15_minutes_after_the_fifth_failure(client, clock, staff, page):
    """Attempts while locked do not extend it: refused at 14:59 after, accepted at 15:01."""
    fail_five_times(client, page, "cadmin")

    clock.shift(datetime.timedelta(minutes=14, seconds=59))
    assert attempt(client, page, "cadmin", PASSWORD).status_code == 429

    clock.shift(datetime.timedelta(seconds=2))
    assert attempt(client, page, "cadmin", PASSWORD).status_code == 302
    assert signed_in_as(client) == str(staff.pk)


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_the_lockout_page_says_for_how_long_and_whom_to_call(client, clock, staff, page):
    """A page of the site (not axes' bare text): locked for 15 minutes, and whom to call."""
    fail_five_times(client, page, "cadmin")

    response = attempt(client, page, "cadmin", PASSWORD)
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert page_text(response).startswith(
        "Sign-in locked · Spine Screener Skip to main content Spine Screener Sign-in locked "
        "Too many failed sign-ins. After 5 wrong passwords, signing in as this user, or from this "
        "computer, is locked for 15 minutes. Wait 15 minutes and try again. If you cannot wait, "
        "or did not try to sign in yourself, call the clinic's system administrator. "
        "Back to the sign-in page"
    )

    with override_settings(ACCOUNT_HELP_CONTACT="the practice manager, ext. 2040"):
        response = attempt(client, page, "cadmin", PASSWORD)
    assert "yourself, call the practice manager, ext. 2040. Back" in page_text(response)


def test_the_audit_log_has_each_failure_the_lockout_each_refusal_and_the_sign_in(
    client, clock, staff
):
    """One row per attempt, in order; the failure that locks comes before its lockout."""
    fail_five_times(client, "login", "cadmin")
    attempt(client, "login", "cadmin", PASSWORD, "10.0.0.9")
    clock.shift(datetime.timedelta(minutes=15, seconds=1))
    attempt(client, "login", "cadmin", PASSWORD)
    client.post(reverse("logout"))

    rows = list(
        AuditEvent.objects.exclude(action="role_change")  # the factories add roles
        .order_by("id")
        .values_list("action", "username", "user_id", "outcome", "detail", "source_address", "at")
    )
    failed = ("login_failed", "cadmin", None, "refused", "wrong username or password")
    later = START + datetime.timedelta(minutes=15, seconds=1)
    assert rows == [
        (*failed, "127.0.0.1", START),
        (*failed, "127.0.0.1", START),
        (*failed, "127.0.0.1", START),
        (*failed, "127.0.0.1", START),
        (*failed, "127.0.0.1", START),
        ("lockout", "cadmin", None, "refused", LOCKED_DETAIL, "127.0.0.1", START),
        ("lockout", "cadmin", None, "refused", REFUSED_DETAIL, "10.0.0.9", START),
        ("login", "cadmin", staff.pk, "ok", "signed in", "127.0.0.1", later),
        ("logout", "cadmin", staff.pk, "ok", "", "127.0.0.1", later),
    ]


# ------------------------------------------------------------------------------------------
# Passwords


def test_new_passwords_are_hashed_with_argon2_and_older_hashes_still_verify():
    """Production settings hash with Argon2 first; a PBKDF2 hash from before still verifies."""
    assert base_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS):
        assert make_password("a-long-passphrase").startswith("argon2$argon2id$")
        older = make_password("a-long-passphrase", hasher="pbkdf2_sha256")
        assert check_password("a-long-passphrase", older)


def test_a_password_needs_at_least_12_characters():
    with pytest.raises(ValidationError) as refused:
        password_validation.validate_password("kx7#qpl2vzm")  # 11 characters
    assert refused.value.messages == [
        "This password is too short. It must contain at least 12 characters."
    ]
    password_validation.validate_password("kx7#qpl2vzmw")  # 12 characters: accepted


def test_setup_demo_with_demo_password_a_exits_1_with_one_line_and_touches_no_database(tmp_path):
    """`DEMO_PASSWORD=a manage.py setup_demo` in a fresh process: exit status 1, one line on
    standard error, and the (new) database is not even migrated."""
    database = tmp_path / "demo.sqlite3"
    done = subprocess.run(
        [sys.executable, "manage.py", "setup_demo"],
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": f"sqlite:///{database}",
            "DEMO_PASSWORD": "a",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "CommandError: DEMO_PASSWORD refused: This password is too short. It must contain at "
        "least 12 characters. This password is too common. Nothing was changed.\n"
    )
    tables = sqlite3.connect(database).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("password1234", "This password is too common."),
        ("123456789012", "This password is entirely numeric."),
        ("physician123", "The password is too similar to the username."),
    ],
)
def test_setup_demo_refuses_a_weak_demo_password_and_creates_nothing(
    monkeypatch, password, problems
):
    """Every problem named in one line; no account and no role created."""
    monkeypatch.setenv("DEMO_PASSWORD", password)
    with pytest.raises(CommandError) as refused:
        call_command("setup_demo", stdout=io.StringIO())

    assert str(refused.value) == f"DEMO_PASSWORD refused: {problems} Nothing was changed."
    assert refused.value.returncode == 1
    assert User.objects.count() == 0
    assert Group.objects.count() == 0


def test_setup_demo_random_passwords_pass_the_validators(monkeypatch):
    """Without DEMO_PASSWORD each new account's printed password passes every validator."""
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("setup_demo", stdout=out)

    printed = {
        line.split()[0]: line.split()[-1]
        for line in out.getvalue().splitlines()
        if "password:" in line
    }
    assert sorted(printed) == sorted(username for username, *_ in DEMO_ACCOUNTS)
    for username, password in printed.items():
        user = User.objects.get(username=username)
        assert len(password) == 16
        password_validation.validate_password(password, user=user)
        assert user.check_password(password)
