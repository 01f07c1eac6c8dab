"""The criteria admin's draft pages in Chromium at 1366 px: every part's table fits the page
(no sideways scroll of the page), and each part but the golden cases shows every column without
its table scrolling sideways in its box."""

from __future__ import annotations

import pytest
from django.urls import reverse

from screener.services import criteria_set_clone
from tests.browser.conftest import AXE_PRELOAD_REFUSED_BY_CSP, assert_no_axe_violations

PARTS = ["parameters", "questions", "rules", "coding", "content", "golden", "history"]

# Right edges of the header cells beyond the page's visible width (a hidden column).
COLUMNS_CUT_OFF = """() => [...document.querySelectorAll('.inline-group table thead th')]
    .filter(th => th.getBoundingClientRect().right > document.documentElement.clientWidth)
    .map(th => th.textContent.trim())"""
# The parts' boxes whose table is wider than the box (it scrolls sideways inside it).
BOXES_SCROLLING = """() => [...document.querySelectorAll('.inline-group fieldset.module')]
    .filter(box => box.scrollWidth > box.clientWidth)
    .map(box => `${box.closest('.inline-group').id}: ${box.scrollWidth} > ${box.clientWidth}`)"""


@pytest.mark.parametrize("part", PARTS)
def test_a_draft_part_fits_a_1366_px_screen(criteria_admin_page, default_set, screenshot, part):
    page = criteria_admin_page
    draft = criteria_set_clone(criteria_set=default_set)
    page.goto(f"{reverse('admin:screener_criteriaset_change', args=[draft.pk])}?part={part}")
    assert page.viewport_size == {"width": 1366, "height": 900}
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"the {part} page is {width} px wide"
    if part != "golden":
        assert page.evaluate(COLUMNS_CUT_OFF) == []
        assert page.evaluate(BOXES_SCROLLING) == []
        assert page.locator(".inline-group table thead th").count() > 4
    screenshot(page, part)


def test_the_job_progress_page_updates_itself_while_the_job_runs_then_stops(
    criteria_admin_page, default_set, screenshot, browser_errors
):
    """No meta refresh: the page's script polls while the job runs, a Refresh link is shown,
    and once the job is done the page says so (without a reload) and stops polling."""
    from playwright.sync_api import expect

    from screener.models import CriteriaJob, CriteriaJobKind, CriteriaJobStatus

    page = criteria_admin_page
    job = CriteriaJob.objects.create(
        kind=CriteriaJobKind.RESCREEN,
        criteria_set=default_set,
        status=CriteriaJobStatus.RUNNING,
        total=10,
        done=4,
    )
    page.goto(reverse("admin:screener_criteriajob_change", args=[job.pk]))
    expect(page.locator("#job-progress")).to_have_text("4 / 10 intakes done (40%).")
    expect(page.get_by_role("link", name="Refresh")).to_be_visible()
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    browser_errors.allow(*AXE_PRELOAD_REFUSED_BY_CSP)
    assert_no_axe_violations(page)  # while running (the flow test checks it done)
    page.evaluate("window.stillThePage = true")
    CriteriaJob.objects.filter(pk=job.pk).update(status=CriteriaJobStatus.DONE, done=10)
    expect(page.locator("#job-progress")).to_have_text("10 / 10 intakes done (100%).")
    expect(page.locator("#job-status")).to_contain_text("Done")
    expect(page.get_by_role("link", name="Refresh")).to_have_count(0)
    assert page.evaluate("window.stillThePage") is True  # updated in place, not reloaded
    screenshot(page, "job-done")
