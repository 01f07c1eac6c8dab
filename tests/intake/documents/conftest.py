"""Documents under test: small real files, and a user of each role (each test's files go to
its own directory: ``documents_dir`` in tests/conftest.py)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter

from intake.services.accounts import roles_ensure
from tests.factories import UserFactory

TEXT = b"This is a referral letter typed in a text editor.\n"
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(image_format: str, size: tuple[int, int] = (120, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (180, 30, 30)).save(out, image_format)
    return out.getvalue()


@pytest.fixture
def role_users(db):
    """One user per role, with the groups' real permissions."""
    groups = roles_ensure()
    users = {}
    for role, group in groups.items():
        user = UserFactory(username=f"doc-{role.lower().replace(' ', '-')}")
        user.groups.add(group)
        users[role] = user
    return users
