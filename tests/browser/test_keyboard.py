"""The intake form by keyboard: the questions come before the panel, focus is never hidden
behind the sticky Save/Submit bar, and a "still missing" link takes focus to its question."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.factories import IntakeFactory

FOCUS = """() => {
  const el = document.activeElement;
  const bar = document.querySelector('.intake-actions').getBoundingClientRect();
  const box = el.getBoundingClientRect();
  return {
    inForm: !!el.closest('#intake-form'),
    inPanel: !!el.closest('#live-panel'),
    inBar: !!el.closest('.intake-actions'),
    hidden: !el.closest('.intake-actions') && box.bottom > bar.top && box.top < bar.bottom,
    id: el.id || el.name || el.tagName,
    box: [box.top, box.bottom, bar.top, bar.bottom, window.innerHeight, el.type || ''],
  };
}"""


# What the user sees once the page has moved to the focused element: its box and the page's
# scroll the same for three frames in a row (two frames were not always enough on a loaded
# machine: the focused field was read mid-scroll, below the window). At most 300 frames.
SETTLED = """() => new Promise(resolve => {
  let last = null, same = 0, frames = 0;
  const check = () => {
    const box = document.activeElement.getBoundingClientRect();
    const now = `${box.top},${box.bottom},${window.scrollY}`;
    same = now === last ? same + 1 : 0;
    last = now;
    if (same >= 3 || ++frames >= 300) { resolve(); } else { requestAnimationFrame(check); }
  };
  requestAnimationFrame(check);
})"""


def open_form(page: Page) -> None:
    intake = IntakeFactory()
    page.goto(reverse("intake:intake-detail", args=[intake.pk]))
    expect(page.locator("#intake-form")).to_be_visible()


def test_the_questions_come_before_the_panel_and_focus_stays_in_sight(front_desk_page):
    page = front_desk_page
    open_form(page)
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        page.evaluate(SETTLED)
        stops.append(page.evaluate(FOCUS))
    first_question = next(i for i, stop in enumerate(stops) if stop["inForm"])
    assert first_question < 12, stops[:first_question]  # the top bar's links, then questions
    assert not any(stop["inPanel"] for stop in stops[:first_question])
    hidden = [(stop["id"], stop["box"]) for stop in stops if stop["inForm"] and stop["hidden"]]
    assert hidden == []


def test_a_missing_link_takes_focus_to_its_question(front_desk_page):
    page = front_desk_page
    open_form(page)
    link = page.locator('#live-panel a[href="#div_id_pain_nrs"]')
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Pain from the fracture")).to_be_focused()
    page.evaluate(SETTLED)
    assert not page.evaluate(FOCUS)["hidden"]


def focused(page: Page) -> dict:
    return page.evaluate(
        """() => { const el = document.activeElement;
          return {tag: el.tagName, type: el.type || '', name: el.name || '',
                  text: (el.innerText || el.value || '').trim().slice(0, 60)}; }"""
    )


def tab_to(page: Page, matches, limit: int = 120) -> dict:
    """Press Tab until the focused element matches; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        here = focused(page)
        if matches(here):
            return here
    raise AssertionError(f"not reached by Tab in {limit} presses")


def test_a_physician_opens_a_case_from_the_queue_and_decides_by_keyboard(physician_page):
    from tests.factories import PatientFactory
    from tests.intake.review.factories import submitted_intake

    page = physician_page
    submitted_intake(
        outcome="conservative",
        patient=PatientFactory(last_name="Keyes", first_name="Kim", mrn="KB-1"),
    )
    page.goto(reverse("review:queue"))
    tab_to(page, lambda el: el["tag"] == "A" and el["text"].startswith("Keyes, Kim"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/review/*/")
    # The decision: its radios by arrow keys, the reason typed, the sign button by Enter.
    tab_to(page, lambda el: el["type"] == "radio" and el["name"] == "kind")
    page.keyboard.press("Space")
    checked = page.evaluate("() => document.querySelector('input[name=kind]:checked').value")
    assert checked  # the first decision, checked from the keyboard
    tab_to(page, lambda el: el["name"] == "reason")
    page.keyboard.type("Discussed with the patient by phone.")
    tab_to(page, lambda el: el["tag"] == "BUTTON" and "sign" in el["text"].lower())
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text(
        "Decision signed for Keyes, Kim (MRN KB-1): Proceed to procedure"
    )
