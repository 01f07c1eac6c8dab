"""On a phone (390 px wide) the main pages never scroll sideways: wide tables scroll inside
their own box, the page itself does not."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import Page

from tests.factories import IntakeFactory
from tests.intake.review.factories import proceeding_intake, submitted_intake

WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def page_width(page: Page, path: str) -> tuple[str, int, int]:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    scroll_width, window_width = page.evaluate(WIDTHS)
    return path, scroll_width, window_width


def test_the_front_desks_pages_fit_a_phone(new_page, front_desk_user, physician_user):
    page = new_page("phone", user=front_desk_user)
    draft = IntakeFactory()
    decided = proceeding_intake(physician_user)
    paths = [
        reverse("intake:patient-list"),
        reverse("intake:intake-detail", args=[draft.pk]),
        reverse("intake:intake-detail", args=[decided.pk]),
        reverse("intake:intake-handout", args=[decided.pk]),
    ]
    widths = [page_width(page, path) for path in paths]
    assert [w for w in widths if w[1] > w[2]] == []


def test_the_physicians_pages_fit_a_phone(new_page, physician_user):
    page = new_page("phone", user=physician_user)
    waiting = submitted_intake(outcome="urgent")
    submitted_intake(outcome="candidate_with_cautions")
    paths = [reverse("review:queue"), reverse("review:case", args=[waiting.pk])]
    widths = [page_width(page, path) for path in paths]
    assert [w for w in widths if w[1] > w[2]] == []
