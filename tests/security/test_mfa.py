"""Two-factor sign-in (TOTP): a user with a confirmed device gives a code after the password;
with MFA_REQUIRED physicians and criteria admins set one up before any page opens; front desk
is never asked. Codes are computed from the device's key under a frozen clock."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from intake.models import AuditEvent
from tests.factories import CriteriaAdminFactory, FrontDeskFactory, PhysicianFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"  # the factories' password
START = datetime.datetime(2025, 3, 14, 9, 0, tzinfo=datetime.UTC)
VERIFY = reverse("two_factor:verify")
SETUP = reverse("two_factor:setup")
QUEUE = reverse("review:queue")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def mfa_required(settings):
    settings.MFA_REQUIRED = True


def code_now(device: TOTPDevice) -> str:
    """The code the user's authenticator app shows at the (frozen) time."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(code_now(device)) + 1) % 1_000_000:06d}"


def sign_in(client, user, page: str = "login"):
    """The password step, through the form (Django admin's form posts ``next`` too)."""
    form = {"username": user.username, "password": PASSWORD}
    if page == "admin:login":
        form["next"] = reverse("admin:index")
    response = client.post(reverse(page), form)
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def device_for(user, *, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=confirmed)


def audit_rows() -> list[tuple[str, str, str, str, str]]:
    # Pages read and role changes (the factories add roles) are tested in test_audit.py.
    return list(
        AuditEvent.objects.exclude(action__in=("role_change", "list", "view"))
        .order_by("id")
        .values_list("action", "username", "outcome", "part", "detail")
    )


# ------------------------------------------------------------------------------------------
# The code after the password


def test_with_a_device_pages_wait_for_a_valid_code(client, clock):
    """After the password every page sends to the code page (keeping where the user was
    going); a valid code opens it."""
    doc = PhysicianFactory(username="doc")
    device = device_for(doc)
    sign_in(client, doc)

    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=/review/"
    assert client.get(VERIFY).status_code == 200

    response = client.post(VERIFY, {"code": code_now(device), "next": QUEUE})
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    assert client.get(QUEUE).status_code == 200
    assert audit_rows() == [
        ("login", "doc", "ok", "", "password accepted; two-factor code required"),
        ("login", "doc", "ok", "two-factor code", "two-factor code accepted"),
    ]


def test_a_wrong_code_is_refused_and_recorded(client, clock):
    doc = PhysicianFactory(username="doc")
    device = device_for(doc)
    sign_in(client, doc)

    response = client.post(VERIFY, {"code": wrong_code(device), "next": QUEUE})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "code": ["That code is not right, or was already used. Try the next one."]
    }
    assert client.get(QUEUE)["Location"] == f"{VERIFY}?next=/review/"
    assert audit_rows()[-1] == (
        "login_failed",
        "doc",
        "refused",
        "two-factor code",
        "wrong code at sign-in",
    )


def test_after_a_wrong_code_even_the_right_one_waits_a_second(client, clock):
    """django-otp's throttle: codes are not checked for 1 second after a wrong one."""
    doc = PhysicianFactory(username="doc")
    device = device_for(doc)
    sign_in(client, doc)
    client.post(VERIFY, {"code": wrong_code(device)})

    response = client.post(VERIFY, {"code": code_now(device)})
    assert response.status_code == 200
    assert response.context["retry_after"] == START + datetime.timedelta(seconds=1)
    assert response.context["form"].errors == {
        "code": ["Not checked: after a wrong code, codes wait a moment. Enter the code shown then."]
    }
    assert audit_rows()[-1][-1] == "code not checked at sign-in: too many wrong codes"

    clock.shift(datetime.timedelta(seconds=1))
    response = client.post(VERIFY, {"code": code_now(device), "next": QUEUE})
    assert response["Location"] == QUEUE


def test_a_code_counts_once(client, clock):
    """The same code, in the same 30 seconds, does not open a second session."""
    doc = PhysicianFactory(username="doc")
    device = device_for(doc)
    sign_in(client, doc)
    client.post(VERIFY, {"code": code_now(device)})
    client.post(reverse("logout"))

    sign_in(client, doc)
    response = client.post(VERIFY, {"code": code_now(device)})
    assert response.status_code == 200
    assert client.get(QUEUE)["Location"] == f"{VERIFY}?next=/review/"


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_a_code_is_six_ascii_digits(client, clock, code):
    doc = PhysicianFactory(username="doc")
    device_for(doc)
    sign_in(client, doc)

    response = client.post(VERIFY, {"code": code})
    assert response.context["form"].errors == {
        "code": ["Enter the 6 digits the app shows (numbers only)."]
    }
    assert AuditEvent.objects.filter(action="login_failed").count() == 0


def test_django_admin_waits_for_the_code_too(client, clock):
    """Signing in on /admin/login/ with a device: admin opens only after the code."""
    cadmin = CriteriaAdminFactory(username="cadmin")
    device = device_for(cadmin)
    response = sign_in(client, cadmin, page="admin:login")
    assert response["Location"] == reverse("admin:index")

    response = client.get(reverse("admin:index"))
    assert response["Location"] == f"{VERIFY}?next=/admin/"

    client.post(VERIFY, {"code": code_now(device)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_with_only_the_password_no_new_device_can_be_set_up(client, clock):
    """The set-up page and its QR code are closed until the existing device's code is given."""
    doc = PhysicianFactory(username="doc")
    device_for(doc)
    sign_in(client, doc)

    assert client.get(SETUP)["Location"] == f"{VERIFY}?next=/"
    assert client.get(reverse("two_factor:setup-qr")).status_code == 403
    assert TOTPDevice.objects.filter(user=doc).count() == 1


def test_an_unconfirmed_device_asks_for_nothing(client, clock):
    doc = PhysicianFactory(username="doc")
    device_for(doc, confirmed=False)
    sign_in(client, doc)
    assert client.get(QUEUE).status_code == 200


def test_the_code_page_needs_the_password_first(client):
    response = client.get(VERIFY)
    assert response["Location"] == f"{reverse('login')}?next=/accounts/two-factor/"


# ------------------------------------------------------------------------------------------
# Setting up a device; MFA_REQUIRED


def test_mfa_required_sends_a_physician_to_set_up_before_anything_else(client, clock, mfa_required):
    """Every page (the queue, the patients, Django admin) sends to set-up until a device is
    confirmed with a code; then the page asked for opens."""
    doc = PhysicianFactory(username="doc")
    sign_in(client, doc)
    assert audit_rows() == [
        ("login", "doc", "ok", "", "password accepted; two-factor set-up required")
    ]

    for path in (QUEUE, reverse("intake:patient-list"), reverse("admin:index"), "/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{SETUP}?next="), path

    response = client.get(SETUP, {"next": QUEUE})
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=doc)
    assert response.status_code == 200
    assert device.confirmed is False
    secret = re.search(r'<code class="fs-5 user-select-all">([A-Z2-7 ]+)</code>', html)[1]
    assert secret.replace(" ", "") == device.config_url.split("secret=")[1].split("&")[0]
    assert f'<img src="{reverse("two_factor:setup-qr")}"' in html

    qr = client.get(reverse("two_factor:setup-qr"))
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"
    assert "no-store" in qr["Cache-Control"]
    assert qr.content.startswith(b"<?xml") and b"<svg" in qr.content

    response = client.post(SETUP, {"code": code_now(device), "next": QUEUE})
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get(QUEUE).status_code == 200
    assert audit_rows()[-1] == (
        "create",
        "doc",
        "ok",
        "two-factor device",
        "authenticator app set up and confirmed with a code",
    )

    # The next sign-in asks for a code from that device.
    client.post(reverse("logout"))
    sign_in(client, doc)
    assert client.get(QUEUE)["Location"] == f"{VERIFY}?next=/review/"


def test_mfa_required_closes_django_admin_to_a_criteria_admin_without_a_device(
    client, clock, mfa_required
):
    cadmin = CriteriaAdminFactory(username="cadmin")
    sign_in(client, cadmin, page="admin:login")
    response = client.get(reverse("admin:screener_criteriaset_changelist"))
    assert response["Location"] == f"{SETUP}?next=/admin/screener/criteriaset/"


def test_a_wrong_set_up_code_is_refused_and_recorded(client, clock, mfa_required):
    doc = PhysicianFactory(username="doc")
    sign_in(client, doc)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=doc)

    response = client.post(SETUP, {"code": wrong_code(device)})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "code": ["That code is not right. Check the app and try the next one."]
    }
    device.refresh_from_db()
    assert device.confirmed is False
    assert client.get(QUEUE)["Location"].startswith(f"{SETUP}?next=")
    assert audit_rows()[-1] == (
        "login_failed",
        "doc",
        "refused",
        "two-factor code",
        "wrong code while setting up a device",
    )


def test_front_desk_is_not_asked_even_when_required(client, clock, mfa_required):
    desk = FrontDeskFactory(username="desk")
    sign_in(client, desk)
    assert client.get(reverse("intake:patient-list")).status_code == 200
    assert client.get(SETUP).status_code == 403


def test_without_mfa_required_a_physician_without_a_device_is_not_asked(client, clock):
    doc = PhysicianFactory(username="doc")
    sign_in(client, doc)
    assert client.get(QUEUE).status_code == 200
    assert client.get(SETUP).status_code == 200  # offered, not imposed


@pytest.mark.parametrize(
    ("environment", "expected"), [({}, "True"), ({"MFA_REQUIRED": "0"}, "False")]
)
def test_mfa_required_is_on_in_production_unless_turned_off(environment, expected):
    """Production settings in a fresh process (they read the environment once, at start)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from config.settings import production as p; print(p.MFA_REQUIRED)",
        ],
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SECRET_KEY": "k3y-" + "Zx9q7Lm2Vb8Nc4Rt6Yw1Pe5Ua0Is3Od" * 2,
            "DATABASE_URL": "postgres://screener:secret@127.0.0.1:5432/screener",
            **environment,
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.stdout, done.stderr) == (f"{expected}\n", "")


def test_mfa_required_is_off_by_default_elsewhere():
    from config.settings import base, local, test

    assert (base.MFA_REQUIRED, local.MFA_REQUIRED, test.MFA_REQUIRED) == (False, False, False)
