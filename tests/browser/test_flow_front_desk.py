"""The front desk's day, end to end in Chromium, as a person clicks through it.

Register a patient (and be warned of one already registered), start an intake, fill part of
it with a mistake, save the draft, log out, come back to it, watch the live panel follow the
answers (an emergency answer included), complete and submit it, read the result and print it.
Every page and state on the way is checked with axe-core. The pages are driven by their labels
and visible text; the clock is a fixed clinic day, so ages and date answers never move.
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import PASSWORD, assert_no_axe_violations, tick
from tests.factories import IntakeFactory, PatientFactory

# A Friday morning. The patient registered below is a woman of 80 on that day.
CLINIC_DAY = datetime.datetime(2025, 3, 14, 9, 30, tzinfo=datetime.UTC)
DRAFT_SAVED = re.compile(r"Draft saved at \d\d:\d\d\. Nothing was submitted yet\.")
EMERGENCY = re.compile(r"EMERGENCY: do not book\. Call the on-call spine clinician now on")
MISSING = re.compile(r"^Still missing to decide \((\d+)\)$")
SUGGESTION = "Appears to meet criteria — awaiting physician review"


@pytest.fixture(autouse=True)
def clinic_day():
    """The server's clock (the live server's thread included) starts at CLINIC_DAY and runs."""
    with time_machine.travel(CLINIC_DAY, tick=True):
        yield


# --------------------------------------------------------------------------------------------
# Reading and answering the intake form by its questions' prompts


def question(page: Page, prompt: str) -> Locator:
    """A yes/no or choice question: the group its legend (the prompt) names."""
    return page.get_by_role("group", name=re.compile("^" + re.escape(prompt)))


def field(page: Page, prompt: str) -> Locator:
    """A number, date or list question: the field its label (the prompt) names."""
    return page.get_by_label(re.compile(r"^\s*" + re.escape(prompt)))


def choose(page: Page, prompt: str, option: str) -> None:
    tick(question(page, prompt).get_by_label(option, exact=True))


def answer(page: Page, answers: list[tuple[str, str]]) -> None:
    """Answer each question as a person would: tick the option, pick it, or type it."""
    for prompt, value in answers:
        group = question(page, prompt)
        if group.count():
            tick(group.get_by_label(value, exact=True))
        elif field(page, prompt).evaluate("element => element.tagName") == "SELECT":
            field(page, prompt).select_option(label=value)
        else:
            field(page, prompt).fill(value)


def missing_count(page: Page) -> int:
    """The number the live panel shows as still missing (read on a page just loaded)."""
    heading = page.locator("#live-panel").get_by_role("heading", name=MISSING)
    return int(MISSING.match(heading.inner_text()).group(1)) if heading.count() else 0


def expect_missing(page: Page, count: int) -> None:
    """The live panel comes to show ``count`` questions still missing, with a link to each."""
    panel = page.locator("#live-panel")
    if count == 0:
        expect(panel).to_contain_text("Every required question is answered.")
        expect(panel.get_by_role("heading", name=MISSING)).to_have_count(0)
        return
    expect(panel.get_by_role("heading", name=MISSING)).to_have_text(
        f"Still missing to decide ({count})"
    )
    expect(panel.locator("ol").get_by_role("link")).to_have_count(count)


# The first part of the intake, as the front desk fills it from the referral letter.
FIRST_PART = [
    ("Currently an inpatient with this fracture", "No"),
    ("Spine X-ray done", "Yes"),
    ("Spine MRI done", "Yes"),
    ("Spine CT done", "No"),
    ("Bone scan or SPECT-CT done", "No"),
    ("Compression fracture confirmed on imaging", "Yes"),
    ("Level of the painful fracture", "L1"),
    ("Number of fractured levels to treat", "1"),
    ("Date this fracture's pain began", "2025-02-07"),
]
# The rest, after the patient has been asked. Questions that become required only through an
# earlier answer come after it (a question not needed yet may be folded away on the form).
REST = [
    ("MRI marrow edema", "Yes"),
    ("Date of the MRI or bone scan", "2025-03-04"),
    ("Retropulsed fragment", "No"),
    ("Posterior wall of the vertebral body disrupted", "No"),
    ("Compression of the spinal cord or cauda equina on imaging", "No"),
    ("Report suggests a tumour", "No"),
    ("Earlier vertebroplasty, kyphoplasty", "No"),
    ("Pain localised to the fractured vertebra", "Yes"),
    ("Pain over the last 2 weeks", "Stable"),
    ("Cancer at the spine", "None"),
    ("Vertebral height loss, %", "30"),
    ("Height loss progressing on serial imaging", "No"),
    ("Kyphotic deformity", "No"),
    ("Roland-Morris disability score", "19"),
    ("Numbness or tingling in the legs", "No"),
    ("Weeks of non-surgical care so far", "4"),
    ("Pain medicine:", "Yes"),
    ("Back brace", "Yes"),
    ("Physical therapy", "No"),
    ("New or worsening leg weakness", "No"),
    ("Fever or chills", "No"),
    ("Recent bacterial infection", "No"),
    ("Infection being treated now", "No"),
    ("Any cancer in the past", "No"),
    ("Unexplained weight loss", "No"),
    ("How it happened", "Minor"),
    ("Osteoporosis or low bone density diagnosed", "Yes"),
    ("Bone density (DEXA) test done", "Yes"),
    ("Currently on an osteoporosis medicine", "Yes"),
    ("Referred for bone-density evaluation", "Yes"),
    ("Takes a blood thinner", "No"),
    ("Takes an antiplatelet medicine", "No"),
    ("Bleeding disorder that cannot be corrected", "No"),
    ("Allergy to bone cement", "No"),
    ("Allergy to contrast dye", "No"),
    ("Cannot lie face-down", "No"),
]
CAUDA_EQUINA = "Numbness between the legs or around the back passage"
PAIN = "Pain from the fracture"


# --------------------------------------------------------------------------------------------
# The day


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_front_desk_registers_fills_resumes_submits_and_prints_an_intake(
    new_page, front_desk_user, browser_errors, screenshot, docs_screenshot, viewport
):
    # A save with answers to correct comes back as the form again, with status 400.
    browser_errors.allow(r"^400 POST http://[^/]+/intakes/\d+/$")
    page = new_page(viewport, user=front_desk_user)
    desktop = viewport == "desktop"

    # 1. The patient list, then the registration form; the confirmation names the patient.
    # (2, the warning of a likely duplicate, is the test after this one.)
    expect(page.get_by_role("heading", name="Patients", level=1)).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "01-patient-list")
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Medical record number").fill("MRN-2025-0314")
    page.get_by_label("First name").fill("Margaret")
    page.get_by_label("Last name").fill("Okonkwo")
    page.get_by_label("Date of birth").fill("1944-06-02")
    page.get_by_label("Sex").select_option(label="Female")
    assert_no_axe_violations(page)
    screenshot(page, "02-register")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", name="Margaret Okonkwo", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"Patient Margaret Okonkwo registered \(MRN MRN-2025-0314\)\.")
    )
    assert_no_axe_violations(page)
    screenshot(page, "03-registered")

    # 3. Start an intake and fill part of it; the patient's age comes from the date of birth.
    page.get_by_role("button", name="Start a percutaneous vertebroplasty intake").click()
    expect(
        page.get_by_role("heading", name="Percutaneous vertebroplasty intake", level=1)
    ).to_be_visible()
    expect(page.get_by_text("(age 80 on 2025-03-14")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "04-intake-empty")
    answer(page, FIRST_PART)

    # A pain score out of range, and a number typed with a letter in it (the letter O for a
    # zero): each is kept as typed and named beside its field.
    field(page, PAIN).fill("15")
    field(page, "Weeks of non-surgical care so far").press_sequentially("1O")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "2 answers were not saved: correct them below and save again."
    )
    pain_question = page.locator("#div_id_pain_nrs")
    expect(pain_question).to_contain_text("15 is above the maximum 10.")
    expect(field(page, PAIN)).to_have_value("15")
    expect(field(page, PAIN)).to_have_accessible_description(
        re.compile("15 is above the maximum 10.")
    )
    expect(field(page, "Weeks of non-surgical care so far")).to_have_value("1O")
    expect(page.locator("#div_id_conservative_weeks")).to_contain_text("Enter a number")
    expect(page.get_by_role("alert").filter(has_text="2 answers to correct")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "05-errors-beside-fields")

    # 4. Corrected and saved; log out, log in again, and come back to the draft.
    field(page, PAIN).fill("6")
    field(page, "Weeks of non-surgical care so far").fill("")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_have_text(DRAFT_SAVED)
    expect(page.get_by_role("alert").filter(has_text="to correct")).to_have_count(0)
    assert_no_axe_violations(page)
    screenshot(page, "06-draft-saved")

    if not desktop:
        page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "07-logged-out")
    page.get_by_label("Username").fill(front_desk_user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name=re.compile("Okonkwo")).click()
    expect(page.get_by_role("heading", name="Margaret Okonkwo", level=1)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Not submitted yet")).to_have_count(1)
    assert_no_axe_violations(page)
    screenshot(page, "08-patient-with-draft")
    # The way back into the draft is on screen, on a phone too (not scrolled off sideways).
    continue_draft = page.get_by_role("link", name=re.compile("^Continue"))
    expect(continue_draft).to_be_in_viewport()
    continue_draft.click()
    expect(question(page, "Spine MRI done").get_by_label("Yes", exact=True)).to_be_checked()
    expect(field(page, "Level of the painful fracture")).to_have_value("L1")
    expect(field(page, "Date this fracture's pain began")).to_have_value("2025-02-07")
    expect(field(page, PAIN)).to_have_value("6")
    expect(field(page, "Weeks of non-surgical care so far")).to_have_value("")
    assert_no_axe_violations(page)
    screenshot(page, "09-draft-resumed")

    # 5. The "still missing" list shrinks by one with each question answered.
    missing = missing_count(page)
    assert missing > 8
    for prompt_and_value in REST[:8]:
        answer(page, [prompt_and_value])
        missing -= 1
        expect_missing(page, missing)
    assert_no_axe_violations(page)
    screenshot(page, "10-partly-answered")
    if desktop:
        page.evaluate("window.scrollTo(0, 0)")
        docs_screenshot(page, "front-desk-intake-form")

    # 6. An emergency answer: red beside its question, and the panel says so (no green).
    choose(page, CAUDA_EQUINA, "Yes")
    beside = page.locator(".inline-emergency")
    expect(beside).to_have_text(EMERGENCY)
    expect(beside).to_be_visible()
    panel = page.locator("#live-panel")
    expect(panel.get_by_role("alert")).to_have_text(EMERGENCY)
    expect(panel.locator(".text-bg-success, .text-success-emphasis")).to_have_count(0)
    assert_no_axe_violations(page)
    beside.scroll_into_view_if_needed()
    screenshot(page, "11-emergency")
    choose(page, CAUDA_EQUINA, "No")
    expect(page.locator(".inline-emergency")).to_have_count(0)
    expect(panel.get_by_role("alert")).to_have_count(0)

    # 7. Complete and submit: the result says the outcome in words.
    answer(page, REST[8:])
    expect_missing(page, 0)
    assert_no_axe_violations(page)
    screenshot(page, "12-complete")
    page.get_by_role("button", name="Submit for physician review").click()
    expect(
        page.get_by_role("heading", name="Percutaneous vertebroplasty: screening result", level=1)
    ).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text(
        "Submitted for physician review. The screener suggests: "
    )
    outcome = page.locator(".result-outcome")
    expect(outcome).to_contain_text("No physician decision yet.")
    expect(outcome).to_contain_text(SUGGESTION)
    expect(page.locator(".patient-line")).to_contain_text("Margaret Okonkwo")
    assert_no_axe_violations(page)
    screenshot(page, "13-result")
    if desktop:
        docs_screenshot(page, "front-desk-result")

    # 8. The print view: the patient, the outcome and the answers.
    page.emulate_media(media="print")
    printed = page.locator("body").inner_text()
    for part in (
        "Okonkwo, Margaret",
        "MRN MRN-2025-0314",
        "born 1944-06-02",
        f"No physician decision yet. The screener suggests: {SUGGESTION}",
        "Answers",
    ):
        assert part in printed, part
    for prompt, value in [(PAIN, "6"), ("Date this fracture's pain began", "2025-02-07")]:
        expect(page.get_by_role("row", name=re.compile("^" + re.escape(prompt)))).to_contain_text(
            value
        )
    assert "Save draft" not in printed and "Log out" not in printed
    assert_no_axe_violations(page)
    screenshot(page, "14-print")


def test_a_number_typed_wrong_over_a_saved_answer_is_named_and_the_answer_kept(
    new_page, front_desk_user, browser_errors, screenshot
):
    """Typed "8-" (no number): the page says so beside the field; the saved 7 is not blanked."""
    browser_errors.allow(r"^400 POST http://[^/]+/intakes/\d+/$")
    intake = IntakeFactory(answers={"pain_nrs": 7})
    page = new_page("phone", user=front_desk_user)
    page.goto(f"/intakes/{intake.pk}/")
    pain = field(page, PAIN)
    expect(pain).to_have_value("7")
    pain.fill("")
    pain.press_sequentially("8-")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("1 answer was not saved")
    expect(field(page, PAIN)).to_have_value("8-")
    expect(field(page, PAIN)).to_have_accessible_description(re.compile("Enter a number"))
    assert_no_axe_violations(page)
    screenshot(page, "01-named-and-kept")
    intake.refresh_from_db()
    assert intake.answers["pain_nrs"] == 7


# --------------------------------------------------------------------------------------------
# Likely duplicates


def new_tab(page: Page) -> Page:
    """The tab a link just opened beside ``page`` (waited for up to 5 s)."""
    for _ in range(100):
        if len(page.context.pages) > 1:
            opened = page.context.pages[-1]
            opened.wait_for_load_state()
            return opened
        page.wait_for_timeout(50)
    raise AssertionError("no new tab opened")


@pytest.mark.parametrize(
    ("first_name", "last_name", "born", "why"),
    [
        pytest.param("Edna", "Hollowey", "1946-04-12", "", id="typo-in-last-name"),
        pytest.param(
            "Holloway",
            "Edna",
            "1946-04-12",
            "first and last name swapped? You entered first name Holloway, last name Edna.",
            id="names-swapped",
        ),
        pytest.param(
            "Edna",
            "Holloway",
            "1946-12-04",
            "day and month swapped? You entered 1946-12-04.",
            id="day-month-swapped",
        ),
    ],
)
def test_registering_a_likely_duplicate_names_the_match_and_lets_the_desk_decide(
    new_page, front_desk_user, screenshot, first_name, last_name, born, why
):
    registered = PatientFactory(
        mrn="MRN-0412",
        first_name="Edna",
        last_name="Holloway",
        date_of_birth=datetime.date(1946, 4, 12),
    )
    page = new_page("desktop", user=front_desk_user)
    page.goto("/patients/new/")
    page.get_by_label("Medical record number").fill("MRN-NEW-1")
    page.get_by_label("First name").fill(first_name)
    page.get_by_label("Last name").fill(last_name)
    page.get_by_label("Date of birth").fill(born)
    page.get_by_label("Sex").select_option(label="Female")
    page.get_by_role("button", name="Register patient").click()

    warning = page.get_by_role("alert").filter(has_text="This may be a patient who is already")
    expect(warning).to_be_visible()
    match = warning.get_by_role("link", name="Holloway, Edna")
    expect(match).to_be_visible()
    expect(warning).to_contain_text("MRN MRN-0412, born 1946-04-12")
    # What may have been typed the other way round, pointed out (a typo speaks for itself).
    if why:
        expect(warning).to_contain_text(why)
    else:
        expect(warning).not_to_contain_text("swapped?")
    # What was typed is still in the form.
    expect(page.get_by_label("Last name")).to_have_value(last_name)
    assert_no_axe_violations(page)
    screenshot(page, "01-warning")

    # Open the match (in a new tab, so the typed form stays) ...
    match.click()
    other = new_tab(page)
    expect(other.get_by_role("heading", level=1)).to_have_text("Edna Holloway")
    expect(other.get_by_text("MRN-0412", exact=True)).to_be_visible()
    other.close()

    # ... or go on: a different person, registered.
    page.get_by_role("button", name="This is a different person: register as a new patient").click()
    expect(page.get_by_role("heading", name=f"{first_name} {last_name}", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("registered (MRN MRN-NEW-1)")
    assert registered.pk != int(re.search(r"/patients/(\d+)/", page.url).group(1))
    screenshot(page, "02-registered-anyway")
