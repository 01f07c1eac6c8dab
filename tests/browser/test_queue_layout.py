"""The review queue's filters at desktop and phone width: every label and every choice of
every filter reads whole, nothing cut off; the page does not scroll sideways because of them."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from intake.models import DecisionKind
from intake.services import reviews
from tests.factories import PatientFactory, PhysicianFactory
from tests.intake.review.factories import submitted_intake

# For each filter: its label, and the widest text it can show (the label, or the longest of
# its choices, measured in the control's own font) against the room the control gives it.
CUT_OFF = """
() => {
  const canvas = document.createElement("canvas").getContext("2d");
  const textWidth = (text, element) => {
    const style = getComputedStyle(element);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    return canvas.measureText(text).width;
  };
  const problems = [];
  for (const field of document.querySelectorAll("form[aria-label=Filters] .queue-filter")) {
    const label = field.querySelector("label");
    const control = field.querySelector("select, input");
    if (label.scrollWidth > label.clientWidth || label.getBoundingClientRect().right >
        field.getBoundingClientRect().right + 0.5) {
      problems.push(`label “${label.textContent.trim()}” is cut off`);
    }
    if (control.tagName === "SELECT") {
      const style = getComputedStyle(control);
      // The room for the chosen text: the box less its padding (the arrow sits in the right
      // padding) and borders.
      const room = control.getBoundingClientRect().width - parseFloat(style.paddingLeft) -
        parseFloat(style.paddingRight) - parseFloat(style.borderLeftWidth) -
        parseFloat(style.borderRightWidth);
      for (const option of control.options) {
        if (textWidth(option.text, control) > room + 0.5) {
          problems.push(`${label.textContent.trim()}: “${option.text}” is cut off`);
        }
      }
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) {
    problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px)`);
  }
  return problems;
}
"""


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("status", ["submitted", "decided"])
def test_no_filter_label_or_choice_is_cut_off(
    new_page, physician_user, screenshot, viewport, status
):
    """At 1366x900 and 390x844, on the waiting and the decided views."""
    PhysicianFactory(first_name="Maximiliane", last_name="Oppenheimer-Castellanos")
    submitted_intake(outcome="candidate")
    page = new_page(viewport, user=physician_user)
    page.goto(f"/review/?status={status}&outcome=candidate_with_cautions")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_label("Outcome", exact=True)).to_have_value("candidate_with_cautions")
    screenshot(page, f"queue-filters-{status}-{viewport}")
    assert page.evaluate(CUT_OFF) == []


def test_the_decided_view_fits_a_laptop_screen(new_page, physician_user, screenshot):
    """At 1366 px the decided view's columns (decision, who, when, planned date, wait) all
    show without scrolling the table."""
    intake = submitted_intake(
        outcome="candidate",
        patient=PatientFactory(last_name="Hopper", first_name="Grace", mrn="MRN-1"),
    )
    reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.PROCEED,
        physician=physician_user,
        planned_procedure_date=intake.submitted_at.date() + datetime.timedelta(days=14),
    )
    page = new_page("desktop", user=physician_user)
    page.goto("/review/?status=decided")
    table = page.locator("table.review-queue")
    row = table.locator("tbody tr").first
    expect(row).to_contain_text("Proceed to procedure")
    expect(row).to_contain_text("until the decision")
    for header in ("Decision", "Decided by", "Decided on", "Planned procedure", "Waited"):
        expect(table.get_by_role("columnheader", name=header, exact=True)).to_be_in_viewport()
    screenshot(page, "queue-decided")
    box = page.locator(".table-responsive")
    assert box.evaluate("el => el.scrollWidth <= el.clientWidth")
