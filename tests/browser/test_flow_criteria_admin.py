"""The criteria admin's day in Chromium at 1366 px, through labels and visible text: clone the
published set, raise the outpatient pain minimum, see a broken rule expression refused on its
own row (nothing else lost) and fix it, add a golden case from a real intake and one by hand,
run the golden cases (failing ones named, then fixed), preview the impact (patients named),
publish, re-screen the open intakes as a background job run by the worker inside the test, and
see the job page turn to done; then a physician finds the changed outcome in the queue.

The criteria admin here is also a physician (a clinician who keeps the criteria), so the impact
preview and the job page name patients. axe runs on the golden case form and the job page; the
draft's part pages are checked elsewhere (test_accessibility_admin). axe's own preload of the
admin's style sheets re-applies Django admin's ``@import url(widgets.css)`` as an inline style,
which the site's CSP refuses, as it should: those console errors of the injected axe script are
allowed; any other browser error still fails the test.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django_tasks_db.management.commands.db_worker import Worker
from playwright.sync_api import Page, expect

from intake.roles import PHYSICIAN
from screener.models import CriteriaSet
from tests.browser.conftest import AXE_PRELOAD_REFUSED_BY_CSP, assert_no_axe_violations, tick
from tests.factories import CriteriaAdminFactory
from tests.screener.helpers import MILD, WARFARIN, submitted_intake


@pytest.fixture
def database_task_queue(settings):
    """Jobs wait in the database for a worker, as in production (the test settings run them at
    once); the test plays the worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker_until_queue_is_empty() -> None:
    """The task worker of ``manage.py run_worker``, one pass: every ready task, then stop."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="browser-test",
        excluded_queue_names=[],
    ).run()


def set_part(page: Page, draft: CriteriaSet, part: str) -> None:
    page.goto(f"{reverse('admin:screener_criteriaset_change', args=[draft.pk])}?part={part}")


def row_of(page: Page, key: str):
    """The inline row whose name or code field holds ``key``."""
    return page.locator("tr.form-row", has=page.locator(f'input[value="{key}"]'))


def test_a_criteria_admins_day(
    new_page,
    physician_page,
    default_set,
    screenshot,
    docs_screenshot,
    browser_errors,
    database_task_queue,
):
    browser_errors.allow(*AXE_PRELOAD_REFUSED_BY_CSP)
    changing = submitted_intake(WARFARIN)  # outpatient, pain 6: conservative under a minimum 7
    changing.patient.__class__.objects.filter(pk=changing.patient_id).update(
        last_name="Hollowey", first_name="Ada", mrn="MRN-77"
    )
    submitted_intake(MILD)
    clinician = CriteriaAdminFactory(username="clin", first_name="Cris", last_name="Admin")
    clinician.groups.add(Group.objects.get(name=PHYSICIAN))
    page = new_page(user=clinician)

    # 1. Clone the published set into a draft.
    page.goto(reverse("admin:screener_criteriaset_change", args=[default_set.pk]))
    page.get_by_role("link", name="Clone as new draft").click()
    page.get_by_role("button", name="Clone as new draft").click()
    expect(page.locator(".messagelist")).to_contain_text("as the new draft vertebroplasty v2")
    draft = CriteriaSet.objects.get(procedure=default_set.procedure, version=2)

    # 2. Raise the outpatient pain minimum from 5 to 7.
    set_part(page, draft, "parameters")
    row_of(page, "nrs_outpatient_min").locator('input[name$="-value"]').fill("7")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("Saved vertebroplasty v2")
    screenshot(page, "parameters-saved")

    # 3. A broken expression: refused on its own row, the rest of the edit kept on the page.
    set_part(page, draft, "rules")
    rule = row_of(page, "rf_minor")
    rule.locator('textarea[name$="-condition"]').fill("age_years <")
    rule.locator('textarea[name$="-message"]').fill("Under 18: refer to paediatrics.")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("Nothing was saved")
    rule = row_of(page, "rf_minor")
    expect(rule.locator(".errorlist")).to_contain_text("rf_minor")
    expect(rule.locator('textarea[name$="-message"]')).to_have_value(
        "Under 18: refer to paediatrics."
    )
    assert page.locator("tr.form-row .errorlist").count() == 1  # on that row only
    screenshot(page, "rule-error-on-its-row")
    rule.locator('textarea[name$="-condition"]').fill("age_years < 18")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("Saved vertebroplasty v2")

    # The README's picture of a set's coding table.
    set_part(page, draft, "coding")
    coding_table = page.locator("#codingrow_set-group")
    expect(coding_table.locator('input[value="22510"]').first).to_be_visible()
    coding_table.evaluate("table => table.scrollIntoView()")  # the picture shows the table
    docs_screenshot(page, "criteria-admin-coding-table")

    # 4. A golden case from a real intake, opened to check and save.
    set_part(page, draft, "golden")
    page.get_by_role("link", name="Golden case from an intake").click()
    page.get_by_label("Intake number").fill(str(changing.pk))
    page.get_by_role("button", name="Make a golden case").click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"made from intake {changing.pk}: check its answers"
    )
    expect(page.get_by_label("Name")).to_have_value(f"intake-{changing.pk}-candidate_with_cautions")
    assert "Hollowey" not in page.content() and "MRN-77" not in page.content()
    screenshot(page, "golden-case-from-intake")
    assert_no_axe_violations(page)

    # 5. One by hand, through the form by question.
    set_part(page, draft, "golden")
    page.get_by_role("link", name="add a golden case").click()
    page.get_by_label("Name").fill("hand-fever-unknown")
    page.get_by_label("Screening date").fill("2025-03-14")
    page.get_by_role("spinbutton", name="Age in years (from the date of birth)").fill("70")
    tick(page.locator("#id_answer_hospitalized").get_by_label("No", exact=True))
    page.get_by_label("Expected outcome").select_option(label="Information needed (needs_info)")
    screenshot(page, "golden-case-by-hand")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("hand-fever-unknown")

    # 6. Run the golden cases: the two the new minimum changes fail, by name.
    set_part(page, draft, "golden")
    page.get_by_role("link", name="Run golden cases").click()
    expect(page.locator("#golden-summary")).to_contain_text("2 failed")
    failing = page.locator("#golden-results tr", has=page.get_by_text("FAIL", exact=True))
    failing_names = [
        "ex-stable-two-findings-on-warfarin",
        f"intake-{changing.pk}-candidate_with_cautions",
    ]
    expect(failing).to_have_count(2)
    for row, name in zip(failing.all(), failing_names, strict=True):
        expect(row).to_contain_text(name)
    screenshot(page, "golden-two-failing")
    golden_run = page.url
    for name in failing_names:
        page.goto(golden_run)
        page.get_by_role("link", name=name).click()
        page.get_by_label("Expected outcome").select_option(
            label="Conservative care suggested (conservative)"
        )
        ticked = page.locator("#id_expected_holding input:checked")
        while ticked.count():
            ticked.first.uncheck()
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text(name)
    page.goto(golden_run)
    expect(page.locator("#golden-summary")).to_contain_text(re.compile(r"\d+ passed, 0 failed"))

    # 7. Preview the impact: the changed intake named, with its patient.
    page.goto(reverse("admin:screener_criteriaset_impact", args=[draft.pk]))
    page.get_by_role("button", name="Preview impact").click()
    expect(page.locator("#changed-cases")).to_contain_text("Hollowey, Ada, MRN-77")
    screenshot(page, "impact-preview")

    # 8. Publish, then re-screen the open intakes as a background job.
    page.goto(reverse("admin:screener_criteriaset_change", args=[draft.pk]))
    page.get_by_role("link", name="Publish").click()
    page.get_by_role("button", name="Yes, publish vertebroplasty v2").click()
    expect(page.locator(".messagelist")).to_contain_text("Published vertebroplasty v2")
    page.get_by_role("link", name="Re-screen open intakes").click()
    page.get_by_role("button", name="Re-screen 2 intakes").click()
    expect(page.locator("#job-status")).to_contain_text("Queued")
    screenshot(page, "job-queued")
    run_worker_until_queue_is_empty()
    expect(page.locator("#job-status")).to_contain_text("Done", timeout=15_000)
    expect(page.locator("#content-main")).to_contain_text("1 changed outcome, 1 did not")
    expect(page.locator("#changed-cases")).to_contain_text("Hollowey, Ada, MRN-77")
    expect(page.get_by_text("would change")).to_have_count(0)
    screenshot(page, "job-done")
    assert_no_axe_violations(page)

    # 9. A physician sees the changed outcome in the review queue.
    physician_page.goto(reverse("review:queue"))
    row = physician_page.locator("tr", has=physician_page.get_by_text("Hollowey"))
    expect(row).to_contain_text("Conservative care suggested")
    screenshot(physician_page, "queue-after-rescreen")
