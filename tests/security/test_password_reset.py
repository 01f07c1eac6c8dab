"""Password reset is routed only when mail is configured, and then works by email; login,
logout and password change are always there."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, clear_url_caches, reverse

import config.auth_urls
import config.urls
from tests.factories import FrontDeskFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
RESET_NAMES = (
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
)
RESET_PATHS = (
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/set-password/",
    "/accounts/reset/done/",
)
NEW_PASSWORD = "violet-harbour-7291-quiet"


def _reload_urls() -> None:
    importlib.reload(config.auth_urls)
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def routes(settings):
    """``routes(mail=...)`` re-reads the URLs as a server started with or without mail would;
    the URLs are re-read again as configured once the test ends."""
    configured = settings.PASSWORD_RESET_BY_EMAIL

    def route(*, mail: bool) -> None:
        settings.PASSWORD_RESET_BY_EMAIL = mail
        _reload_urls()

    yield route
    settings.PASSWORD_RESET_BY_EMAIL = configured
    _reload_urls()


@pytest.mark.parametrize(
    ("environ", "backend", "routed"),
    [
        ({}, "django.core.mail.backends.dummy.EmailBackend", False),
        (
            {"EMAIL_HOST": "smtp.clinic.example"},
            "django.core.mail.backends.smtp.EmailBackend",
            True,
        ),
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "django.core.mail.backends.console.EmailBackend",
            True,
        ),
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"},
            "django.core.mail.backends.dummy.EmailBackend",
            False,
        ),
    ],
    ids=["nothing", "smtp-host", "other-backend", "dummy-backend"],
)
def test_mail_and_so_password_reset_are_configured_by_the_environment(environ, backend, routed):
    """No EMAIL_HOST and no EMAIL_BACKEND: no mail is sent and the reset pages are not routed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")} | environ
    env.pop("DJANGO_SETTINGS_MODULE", None)
    read = subprocess.run(
        [
            sys.executable,
            "-c",
            "from config.settings import local as s; "
            "print(s.EMAIL_BACKEND, s.PASSWORD_RESET_BY_EMAIL)",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert read.stdout.split() == [backend, str(routed)]


def test_without_mail_the_reset_pages_do_not_exist(client, routes, mailoutbox):
    routes(mail=False)
    for name in RESET_NAMES:
        with pytest.raises(NoReverseMatch):
            reverse(name, kwargs={"uidb64": "MQ", "token": "x"} if "confirm" in name else None)
    FrontDeskFactory(email="fran@clinic.example")
    for path in RESET_PATHS:
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"email": "fran@clinic.example"}).status_code == 404, path
    assert mailoutbox == []
    login = client.get(reverse("login"))
    assert login.status_code == 200
    assert "Forgotten your password?" not in login.content.decode()


def test_with_mail_a_forgotten_password_is_reset_by_email(client, routes, mailoutbox):
    routes(mail=True)
    user = FrontDeskFactory(email="fran@clinic.example")
    login = client.get(reverse("login"))
    assert '<a href="/accounts/password_reset/">Forgotten your password?</a>' in (
        login.content.decode()
    )
    assert client.get("/accounts/password_reset/").status_code == 200

    sent = client.post("/accounts/password_reset/", {"email": "fran@clinic.example"})
    assert (sent.status_code, sent.url) == (302, "/accounts/password_reset/done/")
    assert [message.to for message in mailoutbox] == [["fran@clinic.example"]]
    link = re.search(r"http://testserver(/accounts/reset/\S+/\S+/)", mailoutbox[0].body)
    assert link is not None

    opened = client.get(link.group(1), follow=True)
    assert opened.status_code == 200
    set_password_url = opened.redirect_chain[-1][0]
    assert set_password_url.endswith("/set-password/")
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert (done.status_code, done.url) == (302, "/accounts/reset/done/")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    again = client.get(link.group(1), follow=True)
    assert (again.status_code, again.context["validlink"]) == (200, False)  # the link works once


def test_an_unknown_address_is_answered_alike_and_sends_nothing(client, routes, mailoutbox):
    routes(mail=True)
    sent = client.post("/accounts/password_reset/", {"email": "nobody@clinic.example"})
    assert (sent.status_code, sent.url) == (302, "/accounts/password_reset/done/")
    assert mailoutbox == []


@pytest.mark.parametrize("mail", [False, True], ids=["without-mail", "with-mail"])
def test_login_logout_and_password_change_are_always_routed(client, routes, mail):
    routes(mail=mail)
    assert client.get(reverse("login")).status_code == 200
    change = reverse("password_change")
    refused = client.get(change)
    assert (refused.status_code, refused.url) == (302, f"{reverse('login')}?next={change}")
    user = FrontDeskFactory()
    client.force_login(user)
    assert client.get(change).status_code == 200
    logged_out = client.post(reverse("logout"))
    assert logged_out.status_code == 302
    assert client.get(change).status_code == 302
