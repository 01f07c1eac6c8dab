"""Questions not needed for this patient are collapsed on the intake form (issue 11, phones).

A question required only "when" a condition holds is one line, "<prompt> — not needed for this
patient", while the condition does not hold (the server's evaluation, as the live panel's) and
it has no answer; activated, it opens and can be answered; an answer that makes it required
opens it. The patient is an 82-year-old man (born 1944: at least 55 on any screening date
after 1999), so the pregnancy question is among the collapsed ones.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from playwright.sync_api import Page, expect

from intake.models import Intake, Sex
from tests.browser.conftest import assert_no_axe_violations, tick
from tests.factories import IntakeFactory, PatientFactory

HEIGHT = "() => document.documentElement.scrollHeight"
NOT_NEEDED = "not needed for this patient"


def open_form_of_an_old_man(page: Page, answers: dict | None = None) -> Intake:
    patient = PatientFactory(
        first_name="Walter",
        last_name="Oldham",
        date_of_birth=datetime.date(1944, 1, 15),
        sex=Sex.MALE,
    )
    intake = IntakeFactory(patient=patient, answers=answers or {})
    page.goto(reverse("intake:intake-detail", args=[intake.pk]))
    expect(page.locator("#intake-form")).to_be_visible()
    return intake


def summary(page: Page, prompt: str):
    return page.locator("summary").filter(has_text=prompt)


def wait_for_panel(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    expect(page.locator("#live-panel")).not_to_have_attribute("aria-busy", "true")


# The lines a question opened by hand keeps above it ("not needed for this patient"): not on the
# page before questions collapsed, so left out of its height.
SUMMARY_LINES = """() => [...document.querySelectorAll('details.conditional-question > summary')]
  .reduce((sum, s) => sum + s.getBoundingClientRect().height
                      + parseFloat(getComputedStyle(s).marginBottom), 0)"""


def test_the_form_is_markedly_shorter_with_the_questions_not_needed_collapsed(
    new_page, front_desk_user, screenshot
):
    page = new_page("phone", user=front_desk_user)
    # An inpatient with no MRI, CT or bone scan yet, the fracture not yet confirmed.
    inpatient = {"hospitalized": True, "mri_done": False, "ct_done": False, "bone_scan_done": False}
    open_form_of_an_old_man(page, inpatient)
    collapsed = page.locator("details.conditional-collapsed")
    # Not needed: pregnancy (an 82-year-old man); the fracture's level and count; the MRI or
    # bone-scan findings and date; the CT/MRI findings; the outpatient questions (pain trend,
    # disability score, stable-fracture findings, conservative care so far).
    expect(collapsed).to_have_count(18)
    expect(summary(page, "Pregnant or possibly pregnant")).to_contain_text(NOT_NEEDED)
    expect(page.locator("#div_id_pregnant")).to_be_hidden()
    expect(page.locator("#div_id_pain_nrs")).to_be_visible()  # always required: never collapsed
    collapsed_height = page.evaluate(HEIGHT)
    screenshot(page, "phone-collapsed")
    assert_no_axe_violations(page)

    # Every question opened by hand: the page as it was before questions collapsed.
    # Each one by its own element, from the keyboard (a click is aimed at coordinates, and on a
    # loaded machine the page can move under it as the question above opens: the click then
    # lands on another summary and closes it), waiting for it to be open before the next.
    for question in page.query_selector_all("details.conditional-question:not([open])"):
        question.query_selector("summary").focus()
        page.keyboard.press("Enter")
        page.wait_for_function("(details) => details.open", arg=question)
    expect(page.locator("details.conditional-question:not([open])")).to_have_count(0)
    expect(page.locator("#div_id_pregnant")).to_be_visible()
    screenshot(page, "phone-all-open")
    assert_no_axe_violations(page)
    open_height = round(page.evaluate(HEIGHT) - page.evaluate(SUMMARY_LINES))
    print(f"\nintake form page at 390 px: {collapsed_height} px collapsed, {open_height} px open")
    # The questions that stay make most of the page (and the panel follows the form on a
    # phone): 18 of 57 questions collapsed take more than a tenth, over 1,000 px, off it.
    assert open_height - collapsed_height > 1000, (collapsed_height, open_height)
    assert collapsed_height < 0.9 * open_height, (collapsed_height, open_height)


def test_a_collapsed_question_opens_by_keyboard_and_its_answer_is_saved(
    new_page, front_desk_user, screenshot
):
    page = new_page("phone", user=front_desk_user)
    intake = open_form_of_an_old_man(page)
    pregnancy = summary(page, "Pregnant or possibly pregnant")
    pregnancy.focus()
    page.keyboard.press("Enter")
    question = page.locator("#div_id_pregnant")
    expect(question).to_be_visible()
    tick(question.get_by_label("No", exact=True))
    wait_for_panel(page)
    # Answered, it stays open after the panel's evaluation, and reads as any other question.
    expect(question.get_by_label("No", exact=True)).to_be_checked()
    expect(pregnancy).to_be_hidden()
    screenshot(page, "phone-pregnancy-answered")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved")).to_be_visible()
    intake.refresh_from_db()
    assert intake.answers.get("pregnant") is False
    # Shown again with its answer: open, not collapsed.
    expect(page.locator("#div_id_pregnant").get_by_label("No", exact=True)).to_be_checked()


def test_an_answer_that_makes_a_question_required_opens_it(new_page, front_desk_user, screenshot):
    page = new_page("desktop", user=front_desk_user)
    open_form_of_an_old_man(page)
    level = page.locator("#div_id_fracture_level")
    expect(level).to_be_hidden()
    confirmed = page.locator("#div_id_fracture_confirmed")
    tick(confirmed.get_by_label("Yes", exact=True))
    expect(level).to_be_visible()
    expect(level.locator(".required-marker")).to_be_visible()
    expect(summary(page, "Level of the painful fracture")).to_be_hidden()
    wait_for_panel(page)
    screenshot(page, "desktop-fracture-confirmed")
    assert_no_axe_violations(page)

    # Not needed again and still unanswered: collapsed again.
    tick(confirmed.get_by_label("No", exact=True))
    expect(level).to_be_hidden()
    expect(summary(page, "Level of the painful fracture")).to_contain_text(NOT_NEEDED)
    wait_for_panel(page)
    screenshot(page, "desktop-fracture-not-confirmed")
    assert_no_axe_violations(page)
