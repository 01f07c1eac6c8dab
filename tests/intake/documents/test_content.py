"""What a file is, told from its bytes alone (no database)."""

from __future__ import annotations

import pytest

from intake.documents.content import JPEG, PDF, PNG, NotADocument, detect_content
from tests.intake.documents.conftest import HTML, TEXT, image_bytes, pdf_bytes


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (pdf_bytes(), PDF),
        (pdf_bytes(pages=3), PDF),
        (image_bytes("JPEG"), JPEG),
        (image_bytes("PNG"), PNG),
    ],
)
def test_pdf_jpeg_and_png_files_are_recognised(data, content_type):
    assert detect_content(data).content_type == content_type


def test_a_pdf_counts_its_pages():
    assert detect_content(pdf_bytes(pages=3)).pages == 3


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "is not a PDF, JPEG or PNG file"),
        (TEXT, "is not a PDF, JPEG or PNG file"),
        (HTML, "is not a PDF, JPEG or PNG file"),
        # A header is not enough: the rest must be a PDF.
        (
            b"%PDF-1.7\n" + HTML + b"\n%%EOF\n",
            "is not a PDF file that can be opened (it may be damaged)",
        ),
        (
            pdf_bytes()[: len(pdf_bytes()) // 2],
            "is not a complete PDF file (it may have been cut short)",
        ),
        (pdf_bytes()[:-7], "is not a complete PDF file (it may have been cut short)"),
        (
            image_bytes("JPEG")[: len(image_bytes("JPEG")) // 2],
            "is not a JPEG image that can be opened (it may be damaged or cut short)",
        ),
        (
            image_bytes("PNG")[:-20],
            "is not a PNG image that can be opened (it may be damaged or cut short)",
        ),
        (image_bytes("GIF"), "is not a PDF, JPEG or PNG file"),
        (image_bytes("BMP"), "is not a PDF, JPEG or PNG file"),
        # A PNG's first bytes followed by a JPEG: what the start announces must be what it is.
        (
            b"\x89PNG\r\n\x1a\n" + image_bytes("JPEG"),
            "is not a PNG image that can be opened (it may be damaged or cut short)",
        ),
    ],
    ids=[
        "empty",
        "text",
        "html",
        "html-behind-a-pdf-header",
        "pdf-cut-in-half",
        "pdf-without-its-end",
        "jpeg-cut-in-half",
        "png-cut-short",
        "gif",
        "bmp",
        "png-start-on-a-jpeg",
    ],
)
def test_anything_else_is_refused_saying_why(data, reason):
    with pytest.raises(NotADocument) as refused:
        detect_content(data)
    assert refused.value.reason == reason


def test_a_password_protected_pdf_is_refused():
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(NotADocument) as refused:
        detect_content(out.getvalue())
    assert refused.value.reason == "is a password-protected PDF: attach a copy without a password"


def test_an_image_too_large_to_decode_safely_is_refused(monkeypatch):
    monkeypatch.setattr("intake.documents.content.MAX_IMAGE_PIXELS", 100 * 100)
    with pytest.raises(NotADocument) as refused:
        detect_content(image_bytes("PNG", size=(200, 100)))
    assert refused.value.reason == "is an image of 200 x 100 pixels, too large to open safely"
