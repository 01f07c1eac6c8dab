"""`make run` set-up: `setup_demo` twice, then a login as each demo account; the health check."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse

from intake.roles import AUDITOR, AUTHORIZATION, CRITERIA_ADMIN, FRONT_DESK, PHYSICIAN
from screener.models import CriteriaSet, Question, Rule

pytestmark = pytest.mark.django_db


def run_setup(monkeypatch, password: str | None) -> str:
    if password is None:
        monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("DEMO_PASSWORD", password)
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    return out.getvalue()


def sign_in(client, username: str, password: str) -> bool:
    """Through the login form, as a person signs in (django-axes needs the request)."""
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def test_setup_demo_twice_creates_everything_once(monkeypatch, client):
    run_setup(monkeypatch, "demo-pass-123")
    second = run_setup(monkeypatch, "demo-pass-123")
    assert "already present; not reloaded" in second
    assert CriteriaSet.objects.filter(procedure__slug="vertebroplasty").count() == 1
    assert Rule.objects.count() == 49
    assert Question.objects.count() == 58
    assert set(Group.objects.values_list("name", flat=True)) == {
        FRONT_DESK,
        PHYSICIAN,
        CRITERIA_ADMIN,
        AUDITOR,
        AUTHORIZATION,
    }
    assert User.objects.count() == 5
    for username, role in [
        ("frontdesk", FRONT_DESK),
        ("physician", PHYSICIAN),
        ("criteria_admin", CRITERIA_ADMIN),
        ("auditor", AUDITOR),
        ("authorization", AUTHORIZATION),
    ]:
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert sign_in(client, username, "demo-pass-123")
        assert client.get(reverse("home")).status_code in (200, 302)
        client.logout()


def test_criteria_admin_is_staff_and_opens_django_admin(monkeypatch, client):
    run_setup(monkeypatch, "demo-pass-123")
    assert sign_in(client, "criteria_admin", "demo-pass-123")
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Screening criteria" in response.content.decode()


def test_front_desk_and_physician_cannot_open_django_admin(monkeypatch, client):
    run_setup(monkeypatch, "demo-pass-123")
    for username in ("frontdesk", "physician"):
        assert sign_in(client, username, "demo-pass-123")
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
        client.logout()


def test_without_demo_password_random_passwords_are_printed_once(monkeypatch, client):
    first = run_setup(monkeypatch, None)
    lines = [line.split() for line in first.splitlines() if "password:" in line]
    passwords = {parts[0]: parts[-1] for parts in lines}
    assert set(passwords) == {
        "frontdesk",
        "physician",
        "criteria_admin",
        "auditor",
        "authorization",
    }
    assert len(set(passwords.values())) == 5
    second = run_setup(monkeypatch, None)
    assert "password:" not in second
    assert sign_in(client, "physician", passwords["physician"])


def test_health_check_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "static": "ok"}


def test_pages_require_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_login_page_renders_with_local_bootstrap(client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/vendor/bootstrap-5.3.9/css/bootstrap.min.css" in html
    # Every asset from this server (the CSRF token is random text and may contain "cdn").
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a[:1] in "/#" and "cdn" not in a.lower() for a in assets), assets
    assert 'for="id_username"' in html  # a real label for each control
