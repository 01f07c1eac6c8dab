"""Clinical safety, as people see it in Chromium: an emergency is red beside its question and
stays on screen on a phone, the loop is closed before a decision, the decision in force is
what the front desk reads first, every "not met" says why with values, and printouts are whole.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from intake.models import Intake, IntakeStatus
from tests.browser.conftest import tick
from tests.factories import IntakeFactory, PatientFactory
from tests.intake.review.factories import submitted_intake

EMERGENCY = re.compile(r"EMERGENCY: do not book\. Call the on-call spine clinician now on")
RED = "rgb(248, 215, 218)"  # Bootstrap's alert-danger background


def draft_for(last_name: str) -> Intake:
    patient = PatientFactory(first_name="Edna", last_name=last_name)
    return IntakeFactory(patient=patient, status=IntakeStatus.DRAFT)


def background(locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).backgroundColor")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_emergency_answer_is_red_beside_its_question_and_stays_in_sight(
    new_page, front_desk_user, screenshot, viewport
):
    intake = draft_for("Hollowey")
    page = new_page(viewport, user=front_desk_user)
    page.goto(f"/intakes/{intake.pk}/")
    question = page.locator("#div_id_cauda_equina_signs")
    tick(question.get_by_label("Yes"))
    beside = page.locator("#div_id_cauda_equina_signs + .inline-emergency")
    expect(beside).to_be_visible()
    expect(beside).to_have_text(EMERGENCY)
    assert background(beside) == RED
    expect(page.locator("#live-panel .emergency-banner")).to_contain_text("(555) 010-9111")
    beside.scroll_into_view_if_needed()
    screenshot(page, "01-emergency-beside-question")

    # Scrolled to the end of the long form, the warning is still in sight on a phone (the bar
    # at the top of the form; on a wide screen the panel beside the form).
    page.locator("#div_id_sedation_or_prone_concern").scroll_into_view_if_needed()
    in_sight = (
        page.locator("#emergency-bar")
        if viewport == "phone"
        else page.locator("#live-panel .emergency-banner")
    )
    expect(in_sight).to_be_in_viewport()
    screenshot(page, "02-emergency-still-in-sight")

    # Answering "No" takes the warning away again.
    tick(question.get_by_label("No", exact=True))
    expect(page.locator(".inline-emergency")).to_have_count(0)
    expect(page.locator("#emergency-bar")).to_be_hidden()


def test_submitting_an_emergency_is_red_then_the_action_closes_the_loop(
    new_page, front_desk_user, physician_user, screenshot
):
    intake = submitted_intake(outcome="emergency")
    physician = new_page("desktop", user=physician_user)
    physician.goto("/review/")
    first = physician.locator("table.review-queue tbody tr").first
    expect(first).to_contain_text("No emergency action recorded")
    expect(first).to_contain_text(intake.patient.mrn)
    screenshot(physician, "01-queue-emergency-first")

    desk = new_page("desktop", user=front_desk_user)
    desk.goto(f"/intakes/{intake.pk}/")
    section = desk.locator("#emergency")
    expect(section).to_contain_text("No action is recorded yet.")
    screenshot(desk, "02-result-emergency")
    tick(section.get_by_label("Emergency department contacted"))
    section.get_by_label("Who was reached (optional)").fill("St Mary's ED")
    section.get_by_label("Note").fill("Charge nurse expecting her within the hour.")
    section.get_by_role("button", name="Record the emergency action").click()
    expect(desk.locator(".alert-success")).to_contain_text("Emergency action recorded")
    expect(desk.locator("#emergency")).to_contain_text("Charge nurse expecting her")
    expect(desk.locator("#emergency")).not_to_contain_text("No action is recorded yet.")
    screenshot(desk, "03-action-recorded")

    physician.reload()
    expect(physician.locator("table.review-queue tbody tr").first).to_contain_text(
        "Emergency action recorded"
    )


def test_the_front_desk_reads_the_decision_in_force_first(
    new_page, front_desk_user, physician_user, screenshot
):
    intake = submitted_intake(outcome="candidate")
    physician = new_page("desktop", user=physician_user)
    physician.goto(f"/review/{intake.pk}/")
    expect(physician.locator(".guidance-evidence_summary")).to_contain_text("What the studies show")
    tick(physician.get_by_label("Not a candidate"))
    physician.get_by_role("textbox", name="Reason").fill(
        "On examination the pain comes from the hip."
    )
    physician.get_by_role("button", name="Take the case and sign").click()
    expect(physician.locator(".alert-success")).to_contain_text(
        re.compile(r"Decision signed for .+ \(MRN .+\): Not a candidate, by Pat Spine")
    )
    screenshot(physician, "01-case-decided")

    desk = new_page("desktop", user=front_desk_user)
    desk.goto(f"/patients/{intake.patient.pk}/")
    row = desk.locator("table tbody tr").first
    expect(row).to_contain_text("Physician decision: not a candidate")
    expect(row).not_to_contain_text("awaiting physician review")
    screenshot(desk, "02-patient-page")
    desk.goto(f"/intakes/{intake.pk}/")
    heading = desk.locator("h2.decision-in-force")
    expect(heading).to_contain_text("Physician decision: not a candidate")
    expect(desk.get_by_text("22511")).to_have_count(0)
    screenshot(desk, "03-result-decided")
    desk.get_by_role("link", name="Print the patient's handout").click()
    expect(
        desk.get_by_role("heading", name="Caring for your back without a procedure")
    ).to_be_visible()
    expect(desk.locator(".handout")).to_contain_text("(555) 010-2000")
    screenshot(desk, "04-handout")


def test_a_conservative_case_says_why_with_values(new_page, front_desk_user, screenshot):
    intake = submitted_intake(outcome="conservative")
    page = new_page("phone", user=front_desk_user)
    page.goto(f"/intakes/{intake.pk}/")
    expect(
        page.locator(".rule-values").filter(has_text="pain 4, outpatient minimum 5").first
    ).to_be_visible()
    screenshot(page, "01-conservative-why")


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_printed_case_is_complete(physician_page, screenshot, paper):
    intake = submitted_intake(outcome="candidate_with_cautions")
    page = physician_page
    page.goto(f"/review/{intake.pk}/")
    page.emulate_media(media="print")
    printed = page.locator("body").inner_text()  # only what the print stylesheet shows
    for part in (
        intake.patient.mrn,
        "No physician decision yet.",
        "Rules (49)",
        "INR 3.5, limit 1.5",
        "Latest INR",
        "criteria set vertebroplasty version 1",
        "Printed",
    ):
        assert part in printed, part
    assert "Sign decision" not in printed and "Review queue" not in printed
    screenshot(page, f"01-print-{paper}")
    pdf = page.pdf(format=paper, print_background=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 2
