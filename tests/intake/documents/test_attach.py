"""Attaching a document: what the file is comes from its bytes; whatever is refused is refused
with a message naming the file and the field, nothing stored, and what was typed kept."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse

from intake.documents.uploads import OversizedUpload, SizeLimitUploadHandler
from intake.models import DocumentKind, IntakeDocument
from intake.roles import AUDITOR, FRONT_DESK
from intake.selectors.documents import answer_choices
from intake.services.documents import intake_document_attach
from tests.factories import IntakeFactory
from tests.intake.documents.conftest import HTML, TEXT, image_bytes, pdf_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("documents_dir")]

DOCUMENT_DATE = "2025-03-01"
TODAY = datetime.date(2025, 3, 14)
RANDOM_NAME = re.compile(r"[0-9a-f]{32}\.(pdf|jpg|png)")


@pytest.fixture
def intake(default_set):
    return IntakeFactory()


@pytest.fixture
def desk(role_users):
    return role_users[FRONT_DESK]


@pytest.fixture
def desk_client(desk):
    client = Client()
    client.force_login(desk)
    return client


def attach(client, intake, name, data, *, content_type="application/pdf", **fields):
    form = {
        "kind": DocumentKind.MRI,
        "document_date": DOCUMENT_DATE,
        "title": "Lumbar spine MRI",
        "file": SimpleUploadedFile(name, data, content_type),
        **fields,
    }
    return client.post(reverse("intake:document-attach", args=[intake.pk]), form)


def stored_files(documents_dir):
    return sorted(path.name for path in documents_dir.rglob("*") if path.is_file())


def test_a_pdf_is_attached_under_a_random_name(desk_client, desk, intake, documents_dir):
    """The stored name is a UUID: nothing of the patient's or the uploader's file name."""
    data = pdf_bytes()
    response = attach(desk_client, intake, "Smith John MRI.pdf", data)

    assert response.status_code == 302
    assert response["Location"] == reverse("intake:intake-detail", args=[intake.pk]) + "#documents"
    document = IntakeDocument.objects.get()
    assert (document.intake, document.kind, document.document_date, document.title) == (
        intake,
        DocumentKind.MRI,
        datetime.date(2025, 3, 1),
        "Lumbar spine MRI",
    )
    assert (document.content_type, document.size, document.sha256) == (
        "application/pdf",
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    assert document.attached_by == desk
    assert document.original_name == "Smith John MRI.pdf"
    assert RANDOM_NAME.fullmatch(document.file.name)
    assert stored_files(documents_dir) == [document.file.name]
    assert (documents_dir / document.file.name).read_bytes() == data


def test_a_png_named_pdf_is_attached_as_a_png(desk_client, intake):
    """The name and the browser's type are ignored: the bytes say PNG."""
    response = attach(desk_client, intake, "scan.pdf", image_bytes("PNG"))

    assert response.status_code == 302
    document = IntakeDocument.objects.get()
    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png")


def test_a_jpeg_is_attached(desk_client, intake):
    response = attach(
        desk_client, intake, "photo.jpeg", image_bytes("JPEG"), content_type="image/jpeg"
    )

    assert response.status_code == 302
    assert IntakeDocument.objects.get().content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.pdf", TEXT, "notes.pdf is not a PDF, JPEG or PNG file."),
        ("report.pdf", HTML, "report.pdf is not a PDF, JPEG or PNG file."),
        (
            "fake.pdf",
            b"%PDF-1.7\n" + HTML + b"\n%%EOF\n",
            "fake.pdf is not a PDF file that can be opened (it may be damaged).",
        ),
        (
            "cut.pdf",
            pdf_bytes()[:200],
            "cut.pdf is not a complete PDF file (it may have been cut short).",
        ),
        (
            "page.png",
            image_bytes("PNG")[:-30],
            "page.png is not a PNG image that can be opened (it may be damaged or cut short).",
        ),
    ],
    ids=[
        "text-named-pdf",
        "html-named-pdf",
        "html-behind-a-pdf-header",
        "truncated-pdf",
        "truncated-png",
    ],
)
def test_a_file_that_is_not_a_document_is_refused(
    desk_client, intake, documents_dir, name, data, message
):
    response = attach(desk_client, intake, name, data, title="Typed before the refusal")

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IntakeDocument.objects.exists()
    assert stored_files(documents_dir) == []
    page = response.content.decode()
    assert 'value="Typed before the refusal"' in page
    assert f'value="{DOCUMENT_DATE}"' in page
    assert '<option value="mri" selected>' in page


def test_an_empty_file_is_refused(desk_client, intake, documents_dir):
    response = attach(desk_client, intake, "blank.pdf", b"")

    assert response.status_code == 400
    assert "File: the file is empty (0 bytes). Choose the file again." in response.content.decode()
    assert not IntakeDocument.objects.exists()


def test_a_file_over_the_limit_is_refused_naming_its_size(
    settings, desk_client, intake, documents_dir
):
    """Cut off by the upload handler as it arrives; the form says how big it was and the most."""
    settings.DOCUMENT_MAX_BYTES = 3 * 1024 * 1024
    data = pdf_bytes() + b"\n" * (5 * 1024 * 1024)

    response = attach(desk_client, intake, "big.pdf", data, title="Kept")

    assert response.status_code == 400
    page = response.content.decode()
    assert "big.pdf is 5 MB; a document may be at most 3 MB." in page
    assert 'value="Kept"' in page
    assert not IntakeDocument.objects.exists()
    assert stored_files(documents_dir) == []


def test_the_upload_handler_passes_nothing_on_past_the_limit(settings):
    settings.DOCUMENT_MAX_BYTES = 10
    handler = SizeLimitUploadHandler()
    handler.new_file("file", "big.pdf", "application/pdf", None)

    passed = [handler.receive_data_chunk(chunk, 0) for chunk in (b"12345", b"67890", b"abc")]
    result = handler.file_complete(13)

    assert passed == [b"12345", b"67890", None]
    assert isinstance(result, OversizedUpload)
    assert (result.name, result.size, result.read()) == ("big.pdf", 13, b"")


def test_the_upload_handler_leaves_a_file_within_the_limit_to_the_next(settings):
    settings.DOCUMENT_MAX_BYTES = 10
    handler = SizeLimitUploadHandler()
    handler.new_file("file", "small.pdf", "application/pdf", None)

    assert handler.receive_data_chunk(b"1234567890", 0) == b"1234567890"
    assert handler.file_complete(10) is None


def test_form_fields_over_djangos_memory_limit_get_a_400_not_a_500(settings, desk, intake):
    """DATA_UPLOAD_MAX_MEMORY_SIZE counts the fields that are not files."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client(raise_request_exception=False)
    client.force_login(desk)

    response = attach(client, intake, "a.pdf", pdf_bytes(), title="x" * 5000)

    assert response.status_code == 400
    assert not IntakeDocument.objects.exists()


def test_a_date_in_the_future_is_refused(desk, intake):
    with pytest.raises(ValidationError) as refused:
        intake_document_attach(
            intake_id=intake.pk,
            file=SimpleUploadedFile("a.pdf", pdf_bytes()),
            kind=DocumentKind.CT,
            document_date=TODAY + datetime.timedelta(days=1),
            user=desk,
            today=TODAY,
        )
    assert refused.value.message_dict == {
        "document_date": ["Date of the document: it cannot be later than today."]
    }


def test_answers_taken_from_it_are_kept_in_the_sets_order_given(desk_client, intake):
    (_section, questions), *_ = answer_choices(criteria_set=intake.criteria_set)
    codes = [questions[1][0], questions[0][0]]

    response = attach(desk_client, intake, "a.pdf", pdf_bytes(), answers_from=codes)

    assert response.status_code == 302
    assert IntakeDocument.objects.get().answers_from == codes


def test_answers_that_are_not_questions_of_the_set_are_refused(desk, intake):
    with pytest.raises(ValidationError) as refused:
        intake_document_attach(
            intake_id=intake.pk,
            file=SimpleUploadedFile("a.pdf", pdf_bytes()),
            kind=DocumentKind.MRI,
            document_date=TODAY,
            answers_from=["no_such_question", "age_years"],
            user=desk,
            today=TODAY,
        )
    assert refused.value.message_dict == {
        "answers_from": [
            "Answers taken from this document: not questions of this intake's criteria set: "
            "no_such_question, age_years."
        ]
    }
    assert not IntakeDocument.objects.exists()


def test_sending_the_same_document_twice_attaches_it_once(desk_client, intake):
    data = pdf_bytes()
    first = attach(desk_client, intake, "a.pdf", data)
    second = attach(desk_client, intake, "a.pdf", data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert IntakeDocument.objects.count() == 1


def test_the_same_file_as_another_kind_is_refused_naming_the_first(desk_client, intake):
    data = pdf_bytes()
    attach(desk_client, intake, "a.pdf", data)

    response = attach(desk_client, intake, "a.pdf", data, kind=DocumentKind.CT)

    assert response.status_code == 400
    assert (
        "a.pdf is already attached to this intake, as the MRI report of 2025-03-01."
        in response.content.decode()
    )
    assert IntakeDocument.objects.count() == 1


def test_a_user_without_the_permission_cannot_attach(role_users, intake):
    with pytest.raises(PermissionDenied):
        intake_document_attach(
            intake_id=intake.pk,
            file=SimpleUploadedFile("a.pdf", pdf_bytes()),
            kind=DocumentKind.MRI,
            document_date=TODAY,
            user=role_users[AUDITOR],
            today=TODAY,
        )
    assert not IntakeDocument.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"kind": "nonsense"},
            "Kind of document: choose one of the list.",
        ),
        ({"kind": ""}, "Kind of document: choose one."),
        ({"document_date": "2025-02-30"}, "Date of the document: give a date such as 2026-11-02."),
        ({"document_date": ""}, "Date of the document: give the date written on it."),
        (
            {"answers_from": ["<script>x</script>"]},
            "Answers taken from this document: &lt;script&gt;x&lt;/script&gt; is not a question "
            "of this intake.",
        ),
        ({"title": "t" * 121}, "Title: at most 120 characters (it has 121)."),
    ],
    ids=["unknown-kind", "no-kind", "impossible-date", "no-date", "unknown-answer", "long-title"],
)
def test_bad_fields_are_refused_beside_their_field(desk_client, intake, fields, message):
    response = attach(desk_client, intake, "a.pdf", pdf_bytes(), **fields)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IntakeDocument.objects.exists()


def test_a_post_without_a_file_asks_for_one(desk_client, intake):
    response = desk_client.post(
        reverse("intake:document-attach", args=[intake.pk]),
        {"kind": DocumentKind.MRI, "document_date": DOCUMENT_DATE},
    )

    assert response.status_code == 400
    assert "File: choose the file to attach." in response.content.decode()


def test_an_oversized_upload_reaches_the_form_as_its_size_only(settings):
    """The handler is first in FILE_UPLOAD_HANDLERS: the 3 MB file is not kept, the fields
    after it are."""
    settings.DOCUMENT_MAX_BYTES = 1024 * 1024
    request = RequestFactory().post(
        "/", {"file": SimpleUploadedFile("big.pdf", b"x" * (3 * 1024 * 1024)), "title": "Kept"}
    )

    received = request.FILES["file"]

    assert isinstance(received, OversizedUpload)
    assert (received.size, received.read(), request.POST["title"]) == (3 * 1024 * 1024, b"", "Kept")
