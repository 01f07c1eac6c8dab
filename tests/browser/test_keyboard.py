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


NEXT_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


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
        page.evaluate(NEXT_FRAMES)  # what the user sees once the page has moved
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
    page.evaluate(NEXT_FRAMES)
    assert not page.evaluate(FOCUS)["hidden"]
