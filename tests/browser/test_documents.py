"""Front desk attaches a document from the intake page: a text file named .pdf is refused with
what was typed kept, then the real PDF is attached and listed (at 1366 and 390 px). A physician
withdraws one from the case view: it stays, struck through, with who and why."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from intake.models import DocumentKind
from intake.services.documents import intake_document_attach
from tests.browser.conftest import assert_no_axe_violations
from tests.factories import IntakeFactory, PatientFactory
from tests.intake.documents.conftest import TEXT, pdf_bytes
from tests.intake.review.factories import submitted_intake


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_front_desk_attaches_a_pdf_and_sees_it_listed(
    new_page, front_desk_user, screenshot, browser_errors, documents_dir, viewport
):
    browser_errors.allow(r"^400 POST http://[^/]+/intakes/\d+/documents/new/$")
    intake = IntakeFactory(patient=PatientFactory(last_name="Lovelace", first_name="Ada"))
    page = new_page(viewport, user=front_desk_user)
    page.goto(f"/intakes/{intake.pk}/")
    documents = page.locator("#documents")
    expect(documents.get_by_role("heading", name="Documents (0)")).to_be_visible()
    documents.get_by_role("link", name="Attach a document").click()

    expect(page.get_by_role("heading", name="Attach a document")).to_be_visible()
    page.get_by_label("Kind of document").select_option(label="MRI report")
    page.get_by_label("Date of the document").fill("2025-03-01")
    page.get_by_label("Title (optional)").fill("Lumbar spine MRI")
    page.get_by_label("File", exact=True).set_input_files(
        {"name": "mri-report.pdf", "mimeType": "application/pdf", "buffer": TEXT}
    )
    page.get_by_role("button", name="Attach the document").click()

    expect(page.locator("#form-errors")).to_contain_text(
        "mri-report.pdf is not a PDF, JPEG or PNG file."
    )
    expect(page.get_by_label("Title (optional)")).to_have_value("Lumbar spine MRI")
    expect(page.get_by_label("Date of the document")).to_have_value("2025-03-01")
    assert_no_axe_violations(page)
    screenshot(page, f"01-refused-{viewport}")

    page.get_by_label("File", exact=True).set_input_files(
        {"name": "mri-report.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    page.get_by_role("button", name="Attach the document").click()

    expect(page.locator(".alert-success")).to_contain_text("MRI report of 2025-03-01 attached.")
    documents = page.locator("#documents")
    expect(documents.get_by_role("heading", name="Documents (1)")).to_be_visible()
    expect(documents).to_contain_text("MRI report, 2025-03-01 · Lumbar spine MRI")
    expect(documents).to_contain_text("Attached by Fran Desk on ")
    documents.scroll_into_view_if_needed()
    assert_no_axe_violations(page)
    screenshot(page, f"02-listed-{viewport}")

    link = documents.get_by_role("link", name="MRI report, 2025-03-01 · Lumbar spine MRI")
    response = page.request.get(link.get_attribute("href"))  # the page's cookies
    assert response.headers["content-disposition"] == 'attachment; filename="mri-report.pdf"'
    assert (
        response.body()
        == documents_dir.joinpath(next(p.name for p in documents_dir.iterdir())).read_bytes()
    )


def test_physician_withdraws_a_document_from_the_case_view(
    new_page, physician_user, front_desk_user, screenshot, documents_dir
):
    intake = submitted_intake(outcome="candidate")
    for kind, title, pages in (
        (DocumentKind.CT, "Thoracic CT", 1),
        (DocumentKind.MRI, "Wrong MRI", 2),
    ):
        intake_document_attach(
            intake_id=intake.pk,
            file=SimpleUploadedFile("report.pdf", pdf_bytes(pages=pages)),
            kind=kind,
            title=title,
            document_date=datetime.date(2025, 3, 1),
            user=front_desk_user,
            today=datetime.date(2025, 3, 14),
        )
    page = new_page("desktop", user=physician_user)
    page.goto(f"/review/{intake.pk}/")
    documents = page.locator("#documents")
    expect(documents.get_by_role("heading", name="Documents (2)")).to_be_visible()
    documents.get_by_role("link", name="Withdraw the MRI report of 2025-03-01").click()

    expect(page.get_by_role("heading", name="Withdraw a document")).to_be_visible()
    page.get_by_label("Why is it withdrawn?").fill("Another patient's report")
    page.get_by_role("button", name="Withdraw the document").click()

    page.wait_for_url(f"**/review/{intake.pk}/#documents")
    documents = page.locator("#documents")
    expect(documents.locator(".document-withdrawn del")).to_contain_text(
        "MRI report, 2025-03-01 · Wrong MRI"
    )
    expect(documents.locator(".document-withdrawn")).to_contain_text("Withdrawn by Pat Spine on ")
    expect(documents.locator(".document-withdrawn")).to_contain_text(": Another patient's report")
    assert_no_axe_violations(page)
    documents.screenshot(path=str(screenshot(page, "withdrawn").with_name("withdrawn-section.png")))
