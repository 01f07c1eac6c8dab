"""The physician's day, end to end in Chromium, through labels and visible text (issue 11).

The queue with an urgent referral on top, filtering it, taking a case, reading its rules and
codes, deciding with a reason, proceeding with a planned date and printing the patient's
handout, the decided view; and two physicians deciding the same case at once. axe-core checks
every page and state the flow passes through.

The clock is frozen on Monday 17 March 2025, 09:00 (ticking), three days after the example
cases' screening date: the planned dates, follow-up visits and waiting times are fixed.
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from playwright.sync_api import Page, expect

from intake.models import Decision, DecisionKind
from tests.browser.conftest import assert_no_axe_violations, tick
from tests.factories import PatientFactory, PhysicianFactory
from tests.intake.review.factories import submitted_intake

NOW = datetime.datetime(2025, 3, 17, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    """Monday 17 March 2025, 09:00 UTC, for the test and the live server (its thread too)."""
    with time_machine.travel(NOW, tick=True):
        yield


def submitted(outcome: str, last_name: str, first_name: str, mrn: str, hours_ago: int):
    return submitted_intake(
        outcome=outcome,
        patient=PatientFactory(last_name=last_name, first_name=first_name, mrn=mrn),
        submitted_at=NOW - datetime.timedelta(hours=hours_ago),
    )


@pytest.fixture
def day_of_cases(default_set, clock):
    """An urgent referral (the newest), two candidates, one with cautions, and a conservative
    case: the urgent one must still head the queue."""
    return {
        "conservative": submitted("conservative", "Mild", "Mona", "M-400", hours_ago=50),
        "cautions": submitted("candidate_with_cautions", "Lovelace", "Ada", "W-300", 40),
        "candidate": submitted("candidate", "Hopper", "Grace", "C-200", hours_ago=30),
        "urgent": submitted("urgent", "Fever", "Fiona", "U-100", hours_ago=2),
    }


def queue_rows(page: Page):
    return page.get_by_role("region", name="Cases for review").locator("tbody tr")


def rule(page: Page, message: str):
    """A rule of the case view, by its message (its group opened)."""
    group = page.locator("details.rule-group", has=page.locator("li", has_text=message))
    item = group.locator("li", has_text=message)
    if group.get_attribute("open") is None:
        group.locator("summary").click()
    return item


def test_a_physicians_day(day_of_cases, new_page, physician_user, screenshot, docs_screenshot):
    page = new_page("desktop", user=physician_user)

    # 1. The queue: the urgent referral on top, said in words, not only in red.
    page.get_by_role("link", name="Review queue").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    rows = queue_rows(page)
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("Fever, Fiona")
    expect(rows.nth(0)).to_contain_text("Urgent referral — for physician review now")
    expect(rows.nth(0)).to_contain_text("Possible spinal infection")
    expect(rows.nth(1)).to_contain_text("Lovelace, Ada")
    expect(rows.nth(2)).to_contain_text("Hopper, Grace")
    expect(rows.nth(3)).to_contain_text("Mild, Mona")
    screenshot(page, "01-queue")
    docs_screenshot(page, "physician-queue")
    assert_no_axe_violations(page)

    # 2. Filter by outcome: only the matching row; reset: every row again.
    page.get_by_label("Outcome", exact=True).select_option(label="Conservative care suggested")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Mild, Mona")
    expect(page.get_by_label("Outcome", exact=True)).to_have_value("conservative")
    expect(page.get_by_text("1 case.")).to_be_visible()
    screenshot(page, "02-filtered")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Reset filters").click()
    expect(rows).to_have_count(4)
    expect(page.get_by_label("Outcome", exact=True)).to_have_value("")

    # 3. Take a case from the queue: the message names the patient, the row says "You".
    lovelace = rows.filter(has_text="Lovelace, Ada")
    lovelace.get_by_role("button", name="Take").click()
    expect(page.get_by_role("status").filter(has_text="You have taken")).to_have_text(
        re.compile(r"You have taken the case of Lovelace, Ada \(MRN W-300\)\.")
    )
    expect(lovelace.get_by_role("cell").nth(5)).to_have_text("You")
    expect(rows.filter(has_text="Hopper, Grace").get_by_role("button", name="Take")).to_be_visible()
    screenshot(page, "03-taken")
    assert_no_axe_violations(page)

    # 4. Open it: every rule held or not, with its values and source; the suggested codes.
    page.get_by_role("link", name="Open the case of Lovelace, Ada").click()
    expect(page.get_by_role("heading", name="Lovelace, Ada", level=1)).to_be_visible()
    heading = page.locator("header", has=page.get_by_role("heading", level=1))
    expect(heading).to_contain_text(
        "Appears to meet criteria, cautions to review — awaiting physician review"
    )
    expect(page.locator("#assignment-heading + p")).to_have_text(
        re.compile(r"You have this case since 17 Mar 2025 09:\d\d\.")
    )
    held = rule(page, "Outpatient with persistent pain despite non-surgical care")
    expect(held).to_contain_text("holds")
    expect(held).to_contain_text("decided the outcome")
    expect(held).to_contain_text("— LCD")
    expect(held).to_contain_text("Values: inpatient: no, pain 6, outpatient minimum 5")
    failed = rule(page, "Hospital inpatient with severe pain from the fracture.")
    expect(failed).to_contain_text("does not hold")
    expect(failed).to_contain_text("— LCD")
    expect(failed).to_contain_text("Not met: inpatient: no, pain 6, inpatient minimum 8")
    caution = rule(page, "Takes an anticoagulant")
    expect(caution).to_contain_text("holds")
    codes = page.get_by_role("region", name="Suggested codes")
    expect(codes).to_contain_text(
        "22511 (if vertebroplasty; provisional until the physician confirms the levels)"
    )
    expect(codes).to_contain_text("Techniques in the criteria set: Vertebroplasty, Kyphoplasty.")
    screenshot(page, "04-case")
    docs_screenshot(page, "physician-case")
    assert_no_axe_violations(page)

    # 5. Decide against the suggestion, with a reason: the confirmation names the patient.
    decision = page.get_by_role("region", name="Decision", exact=True)
    tick(decision.get_by_label("Conservative care"))
    expect(decision.get_by_label("Kyphoplasty")).to_be_hidden()  # a technique is for "proceed"
    decision.get_by_role("textbox", name="Reason").fill("Wants to try a brace for four weeks.")
    screenshot(page, "05-deciding")
    assert_no_axe_violations(page)
    decision.get_by_role("button", name="Sign decision").click()
    expect(page.locator(".alert-success")).to_have_text(
        re.compile(
            r"Decision signed for Lovelace, Ada \(MRN W-300\): Conservative care, by Pat Spine"
            r" at 09:\d\d on 17 Mar 2025\."
        )
    )
    expect(page.locator(".decision-in-force")).to_contain_text(
        "Physician decision: conservative care — Pat Spine, 2025-03-17"
    )
    expect(decision).to_contain_text("Reason: Wants to try a brace for four weeks.")
    screenshot(page, "05-decided")
    assert_no_axe_violations(page)

    # 7. Proceed with a planned date (a Friday) and the other technique, then the handout.
    page.get_by_role("link", name="Review queue").first.click()
    page.get_by_role("link", name="Open the case of Hopper, Grace").click()
    decision = page.get_by_role("region", name="Decision", exact=True)
    expect(decision.get_by_label("Planned procedure date (optional)")).to_be_hidden()
    tick(decision.get_by_label("Proceed to procedure (suggested: no reason needed)"))
    decision.get_by_label("Planned procedure date (optional)").fill("2025-03-28")
    tick(decision.get_by_label("Kyphoplasty"))
    screenshot(page, "07-proceeding")
    assert_no_axe_violations(page)
    decision.get_by_role("button", name="Take the case and sign").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Decision signed for Hopper, Grace (MRN C-200): Proceed to procedure, by Pat Spine"
    )
    # The visits and the handout are right under the decision, not below the guidance.
    follow_up = page.get_by_role("region", name="Procedure date and follow-up visits")
    expect(follow_up).to_be_in_viewport()
    expect(follow_up).to_contain_text("Visit within one week (pain relief, the needle site)")
    expect(follow_up).to_contain_text("Fri 04 Apr 2025")
    expect(follow_up).to_contain_text("Mon 28 Apr 2025")
    expect(follow_up).to_contain_text("Fri 27 Jun 2025")  # 28 June is a Saturday
    screenshot(page, "07-proceed-signed")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Printable patient handout").click()
    handout = page.locator("article.handout")
    expect(handout).to_contain_text("Grace Hopper")
    expect(handout).to_contain_text("Technique: Kyphoplasty.")
    expect(handout).to_contain_text("Planned procedure date: Friday, March 28, 2025.")
    visits = handout.get_by_role("table", name="Follow-up visits")
    expected_visits = [
        ("Visit within one week (pain relief, the needle site)", "Friday, April 4, 2025"),
        ("Visit at one month", "Monday, April 28, 2025"),
        ("Visit at three months", "Friday, June 27, 2025"),  # not Saturday the 28th
    ]
    expect(visits.locator("tbody tr")).to_have_count(len(expected_visits))
    for number, cells in enumerate(expected_visits):
        expect(visits.locator("tbody tr").nth(number).get_by_role("cell")).to_have_text(list(cells))
    screenshot(page, "07-handout")
    assert_no_axe_violations(page)

    # 8. The decided view: the decision, who, when and the planned date.
    page.get_by_role("link", name="Back to the case").click()
    page.get_by_role("link", name="Review queue").first.click()
    page.get_by_label("Status").select_option(label="Decided")
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(2)
    hopper = rows.filter(has_text="Hopper, Grace")
    expect(hopper).to_contain_text("Proceed to procedure")
    expect(hopper.locator(".queue-decided-by")).to_have_text("Pat Spine")
    expect(hopper.locator(".queue-decided-at")).to_have_text(re.compile(r"17 Mar 2025 09:\d\d"))
    expect(hopper.locator(".queue-planned")).to_have_text("28 Mar 2025")
    lovelace = rows.filter(has_text="Lovelace, Ada")
    expect(lovelace).to_contain_text("Conservative care")
    expect(lovelace.locator(".queue-planned")).to_have_text("")
    screenshot(page, "08-decided")
    assert_no_axe_violations(page)


def test_two_physicians_deciding_one_case(default_set, clock, new_page, browser_errors, screenshot):
    """The first to sign wins; the second is told who decided what, and nothing is
    overwritten."""
    browser_errors.allow(r"^409 POST .*/review/\d+/decide/$")  # the refused decision
    first_user = PhysicianFactory(first_name="Hana", last_name="First")
    second_user = PhysicianFactory(first_name="Otto", last_name="Second")
    intake = submitted("candidate", "Curie", "Marie", "C-500", hours_ago=5)
    first, second = new_page(user=first_user), new_page(user=second_user)
    for page in (first, second):
        page.goto("/review/")
        page.get_by_role("link", name="Open the case of Curie, Marie").click()
        expect(page.get_by_role("heading", name="Curie, Marie", level=1)).to_be_visible()
        expect(page.locator("#assignment-heading + p")).to_contain_text(
            "Nobody has taken this case"
        )
    assert_no_axe_violations(second)

    first_decision = first.get_by_role("region", name="Decision", exact=True)
    tick(first_decision.get_by_label("Proceed to procedure (suggested: no reason needed)"))
    first_decision.get_by_role("button", name="Take the case and sign").click()
    expect(first.locator(".alert-success")).to_contain_text("Decision signed for Curie, Marie")
    screenshot(first, "01-first-signed")
    assert_no_axe_violations(first)

    second_decision = second.get_by_role("region", name="Decision", exact=True)
    tick(second_decision.get_by_label("Not a candidate"))
    second_decision.get_by_role("textbox", name="Reason").fill("Too frail for prone sedation.")
    screenshot(second, "02-second-deciding")
    second_decision.get_by_role("button", name="Take the case and sign").click()
    expect(second.get_by_role("alert")).to_contain_text(
        re.compile(
            r"Hana First already recorded “Proceed to procedure” on this case at 09:\d\d on "
            r"17 Mar 2025\. Your decision was not saved\. What you entered is kept below as an "
            r"amendment of that decision: sign it only if the decision should change\."
        )
    )
    expect(second.locator(".decision-in-force")).to_contain_text(
        "Physician decision: proceed to procedure — Hana First, 2025-03-17"
    )
    expect(second_decision).to_contain_text("Decisions on record (1)")
    expect(second_decision).to_contain_text("Signed by Hana First on 17 Mar 2025")
    # What the second physician typed is kept, offered as an amendment of the decision in force.
    expect(second_decision.get_by_role("textbox", name="Reason")).to_have_value(
        "Too frail for prone sedation."
    )
    screenshot(second, "03-second-refused")
    assert_no_axe_violations(second)

    assert list(Decision.objects.filter(intake=intake).values_list("kind", "physician")) == [
        (DecisionKind.PROCEED.value, first_user.pk)
    ]
