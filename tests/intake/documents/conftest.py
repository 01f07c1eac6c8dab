"""Documents under test: each test's files in its own directory, and small real files."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter

from intake.documents.storage import PrivateDocumentStorage
from intake.models import IntakeDocument
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
def documents_dir(monkeypatch, tmp_path):
    """The documents storage, in this test's own directory (the model's field holds its storage
    from start-up, as Django resolves a callable storage once)."""
    location = tmp_path / "documents"
    field = IntakeDocument._meta.get_field("file")
    monkeypatch.setattr(field, "storage", PrivateDocumentStorage(location=location))
    return location


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
