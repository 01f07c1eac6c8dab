"""The prior-authorization flow in the browser: a coordinator opens a packet for a case decided
"proceed", the physician attests it by typing their name, the coordinator records its
submission; the packet page reads right on a desktop and a phone, with no serious axe finding."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from authorization.models import PhysicianNpi
from intake.services.documents import intake_document_attach
from tests.authorization.helpers import CoordinatorFactory, minimal_pdf, proceed_intake
from tests.browser.conftest import assert_no_axe_violations
from tests.factories import PatientFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def decided(physician_user, front_desk_user):
    PhysicianNpi.objects.create(user=physician_user, npi="1234567893")
    today = datetime.date.today()
    intake = proceed_intake(
        physician=physician_user,
        planned=today + datetime.timedelta(days=10),
        patient=PatientFactory(last_name="Hopper", first_name="Grace", mrn="MRN-1"),
    )
    intake_document_attach(
        intake_id=intake.pk,
        file=SimpleUploadedFile("mri.pdf", minimal_pdf(), content_type="application/pdf"),
        kind="mri",
        document_date=today,
        user=front_desk_user,
        title="MRI thoracolumbar spine",
        answers_from=["edema_or_uptake", "fracture_confirmed"],
        today=today,
    )
    return intake


def test_a_packet_is_opened_attested_and_submitted(new_page, decided, physician_user, screenshot):
    coordinator = CoordinatorFactory(username="coord", first_name="Cora", last_name="Ward")
    page = new_page(user=coordinator)
    page.goto("/authorizations/")
    expect(page.get_by_role("heading", name="Planned with no approval (1)")).to_be_visible()
    screenshot(page, "01-queue")
    page.get_by_role("link", name="Open a packet for Grace Hopper").click()
    expect(page.get_by_label("Payer (insurer)")).to_have_value("Medicare Part B")
    page.get_by_label("Place of service").select_option("22")
    page.get_by_role("button", name="Open the packet").click()
    expect(page.get_by_role("status")).to_contain_text("Packet opened for Grace Hopper")
    expect(page.locator(".packet-complete")).to_contain_text("coverage criteria met")
    expect(page.locator(".packet-status")).to_have_text("Draft")
    expect(page.get_by_text("Source: Imaging report, document 1: MRI report").first).to_be_visible()
    expect(page.get_by_role("link", name="MRI report")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "02-draft")
    packet_url = page.url

    doctor = new_page(user=physician_user)
    doctor.goto(packet_url)
    doctor.get_by_label("Type your name to attest").fill("Pat Spine")
    doctor.get_by_role("button", name="Attest this packet").click()
    expect(doctor.get_by_role("status")).to_contain_text("Packet attested")
    expect(doctor.locator("#attest-heading + p")).to_be_visible()
    expect(doctor.get_by_text("NPI 1234567893").first).to_be_visible()
    screenshot(doctor, "03-attested")

    page.goto(packet_url)
    expect(page.locator("details.packet-move")).to_have_attribute("open", "")
    page.get_by_label("Submitted on").fill("2025-03-21")
    page.get_by_label("Payer reference").fill("REF-77")
    page.get_by_label("Channel").select_option("portal")
    page.get_by_role("button", name="Mark submitted").click()
    expect(page.locator(".packet-status")).to_have_text("Submitted")
    expect(page.locator("#history-heading ~ ol")).to_contain_text("Attested → Submitted")
    expect(page.locator("#history-heading ~ ol")).to_contain_text("Channel: Payer portal")
    expect(page.get_by_role("link", name="Prior authorizations", exact=True)).to_be_visible()
    screenshot(page, "04-submitted")

    phone = new_page("phone", user=coordinator)
    phone.goto(packet_url)
    expect(phone.locator(".packet-status")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the packet page is {width} px wide on a 390 px phone"
    screenshot(phone, "05-phone")


def test_the_case_view_shows_the_authorization_standing(new_page, decided, physician_user):
    page = new_page(user=physician_user)
    page.goto(f"/review/{decided.pk}/")
    panel = page.locator("section.authorization-standing")
    expect(panel).to_contain_text("No authorization packet yet")
    expect(panel).to_contain_text("with no approval yet")
