"""The site's icon: every page links it and /favicon.ico, which browsers ask for anyway, is
served (no 404 on every page)."""

from __future__ import annotations

import pytest
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_icon_without_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(icon.streaming_content)
    assert client.post("/favicon.ico").status_code == 405


def test_pages_link_the_icon(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in (
        page.content.decode()
    )
