"""Every response carries the Content-Security-Policy, Permissions-Policy and Referrer-Policy,
and no template needs what the policy refuses (inline scripts, styles or event handlers)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from intake.exports import services as export_services
from intake.middleware import permissions_policy
from intake.selectors.queue import QueueFilters
from tests.factories import CriteriaAdminFactory, FrontDeskFactory, PhysicianFactory

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PERMISSIONS = (
    "accelerometer=(), bluetooth=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), hid=(), idle-detection=(), magnetometer=(), microphone=(), midi=(), "
    "payment=(), screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()"
)


def directives(header: str) -> dict[str, str]:
    """A policy header as {directive: sources} (django-csp does not keep the order)."""
    pairs = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: sources for name, sources in pairs}


def assert_headers(response) -> None:
    assert directives(response["Content-Security-Policy"]) == CSP
    assert response["Permissions-Policy"] == PERMISSIONS
    assert response["Referrer-Policy"] == "same-origin"


def test_the_permissions_policy_refuses_each_feature_everywhere():
    assert permissions_policy({"camera": [], "geolocation": ["self"]}) == (
        "camera=(), geolocation=(self)"
    )
    assert permissions_policy(settings.PERMISSIONS_POLICY) == PERMISSIONS


@pytest.mark.django_db
def test_the_login_page_and_a_refusal_carry_the_headers(client):
    assert_headers(client.get(reverse("login")))
    assert_headers(client.get("/patients/"))  # anonymous: sent to the login page
    assert_headers(client.get("/no-such-page/"))


@pytest.mark.django_db
def test_a_static_file_carries_the_permissions_policy(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response["Permissions-Policy"] == PERMISSIONS


@pytest.mark.django_db
@pytest.mark.usefixtures("roles", "default_set")
@pytest.mark.parametrize(
    ("factory", "url"),
    [
        (FrontDeskFactory, "/patients/"),
        (FrontDeskFactory, "/intakes/needs-information/"),
        (PhysicianFactory, "/review/"),
        (CriteriaAdminFactory, "/admin/"),
        (CriteriaAdminFactory, "/admin/screener/criteriaset/"),
    ],
)
def test_each_roles_pages_carry_the_headers(client, factory, url):
    client.force_login(factory())
    response = client.get(url)
    assert response.status_code == 200
    assert_headers(response)


@pytest.mark.django_db
@pytest.mark.usefixtures("roles", "default_set")
def test_a_queue_exports_page_and_file_carry_the_headers(client):
    """The export's page and its file (patient data): the same headers, and never cached."""
    physician = PhysicianFactory()
    export = export_services.queue_export_create(user=physician, filters=QueueFilters())
    export_services.queue_export_start(export_id=export.pk)
    export_services.queue_export_finish(
        export_id=export.pk, content=io.BytesIO(b"Intake\r\n"), written=0
    )
    client.force_login(physician)
    for url in (f"/review/exports/{export.pk}/", f"/review/exports/{export.pk}/download/"):
        response = client.get(url)
        assert response.status_code == 200
        assert_headers(response)
        assert "no-store" in response["Cache-Control"]


# --------------------------------------------------------------------------------------------
# What the policy refuses, searched for where it would come from

TEMPLATES = Path(settings.BASE_DIR) / "templates"
STATIC = Path(settings.BASE_DIR) / "static"
PDF_TEMPLATES = TEMPLATES / "authorization" / "pdf"
REFUSED_IN_TEMPLATES = {
    "an inline script": re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")"),
    "a style element": re.compile(r"<style\b"),
    "a style attribute": re.compile(r"\sstyle\s*="),
    "an event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_needs_an_inline_script_style_or_handler():
    """The browser suite (tests/browser/test_csp.py) shows the pages run under the policy;
    this finds the cause in a template that no browser test opens."""
    found = [
        f"{path.relative_to(TEMPLATES)}:{number}: {what}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        # Rendered to PDF on the server by WeasyPrint (no script runs there), never sent to a
        # browser: its styles are inline by design.
        if not path.is_relative_to(PDF_TEMPLATES)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        for what, pattern in REFUSED_IN_TEMPLATES.items()
        if pattern.search(line)
    ]
    assert found == []


def test_our_scripts_set_no_style_attribute_nor_inline_markup_with_one():
    """Scripts may change ``element.style`` (allowed) but not write ``style="..."`` markup."""
    found = [
        f"{path.relative_to(STATIC)}:{number}"
        for path in sorted((STATIC / "js").rglob("*.js"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"setAttribute\(\s*[\"']style|style=|\.cssText|eval\(|new Function", line)
    ]
    assert found == []
