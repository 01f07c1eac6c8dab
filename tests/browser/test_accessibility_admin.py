"""axe-core on the criteria admin's pages at 1366 px: no violation of any impact (critical,
serious, moderate or minor), with no rule disabled. The pages: the admin's login page and
index, the list of criteria sets, a published set, every part of a draft (as loaded, with a row
added, and after a save refused with errors on its rows), the publish page (ready and refused),
the clone and retire confirmations, and the rule and question lists and pages.

axe's own preload of the page's style sheets fetches Django admin's ``@import url(widgets.css)``
and tries to apply it as an inline style, which the site's Content-Security-Policy refuses (as
it should): those two console errors, logged by the injected axe script (no script address), are
allowed here; any error logged by the site's own scripts still fails the test.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from screener.models import Rule
from screener.services import criteria_set_clone
from tests.browser.conftest import AXE_PRELOAD_REFUSED_BY_CSP, assert_no_axe_violations

# The golden part is left out here: its form is checked with its own pages.
PARTS = ["parameters", "questions", "rules", "coding", "content", "history"]


@pytest.fixture
def admin_page(criteria_admin_page: Page, browser_errors) -> Page:
    browser_errors.allow(*AXE_PRELOAD_REFUSED_BY_CSP)
    return criteria_admin_page


@pytest.fixture
def draft(default_set):
    return criteria_set_clone(criteria_set=default_set)


def set_page(criteria_set, part: str | None = None) -> str:
    path = reverse("admin:screener_criteriaset_change", args=[criteria_set.pk])
    return f"{path}?part={part}" if part else path


def assert_accessible(page: Page, path: str) -> None:
    page.goto(path)
    assert_no_axe_violations(page)


def test_the_admin_login_page_has_no_accessibility_violation(new_page, browser_errors):
    browser_errors.allow(*AXE_PRELOAD_REFUSED_BY_CSP)
    page = new_page()
    assert_accessible(page, reverse("admin:login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Django administration")


def test_the_admin_index_and_a_published_set_have_no_accessibility_violation(
    admin_page, default_set, screenshot
):
    page = admin_page
    for path in [
        reverse("admin:index"),
        reverse("admin:screener_criteriaset_changelist"),
        set_page(default_set),
        set_page(default_set, "questions"),
        set_page(default_set, "rules"),
        set_page(default_set, "coding"),
        set_page(default_set, "content"),
        reverse("admin:screener_criteriaset_clone", args=[default_set.pk]),
        reverse("admin:screener_criteriaset_retire", args=[default_set.pk]),
    ]:
        assert_accessible(page, path)
    page.goto(set_page(default_set, "questions"))
    screenshot(page, "published-questions")


@pytest.mark.parametrize("part", PARTS)
def test_every_part_of_a_draft_has_no_accessibility_violation(admin_page, draft, part):
    page = admin_page
    assert_accessible(page, set_page(draft, part))
    if part == "history":  # the change log is read-only
        return
    add_row = page.get_by_role("button", name=re.compile("^Add another"))
    expect(add_row.first).to_be_visible()
    rows = page.locator("tr.form-row:not(.empty-form)")
    before = rows.count()
    for index in range(add_row.count()):  # a new row in each table, as the admin's script adds it
        add_row.nth(index).click()
    expect(rows).to_have_count(before + add_row.count())
    assert_no_axe_violations(page)


def test_every_input_of_a_draft_is_named_for_its_column_and_row(admin_page, draft):
    """A screen reader names the field a criteria admin is in: "Condition of rule rf_minor"."""
    page = admin_page
    page.goto(set_page(draft, "rules"))
    expect(page.get_by_label("Condition of rule rf_minor", exact=True)).to_have_value(
        "age_years < 18"
    )
    expect(page.get_by_label("Effect of rule rf_minor", exact=True)).to_have_value("red_flag")
    expect(page.get_by_label("Delete rule rf_minor", exact=True)).not_to_be_checked()
    page.goto(set_page(draft, "questions"))
    expect(page.get_by_label("Section of question age_years", exact=True)).to_have_value("Setting")
    page.goto(set_page(draft, "content"))
    readers = page.get_by_role("group", name="Readers of content block Conservative alternatives")
    expect(readers.get_by_label("Physicians (case view)")).to_be_checked()
    expect(readers.get_by_label("Patients (printed handouts)")).not_to_be_checked()


def test_a_draft_refused_on_save_has_no_accessibility_violation(admin_page, draft, screenshot):
    """The errors at the top and on the row are shown, named on the field, and pass axe."""
    page = admin_page
    page.goto(set_page(draft, "rules"))
    page.get_by_label("Condition of rule rf_minor", exact=True).fill("age < 18")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("Nothing was saved: 1 expression problem")
    condition = page.get_by_label("Condition of rule rf_minor", exact=True)
    expect(condition).to_have_attribute("aria-invalid", "true")
    expect(condition).to_have_accessible_description(re.compile("unknown name 'age'"))
    assert_no_axe_violations(page)
    screenshot(page, "refused")


def test_the_publish_page_has_no_accessibility_violation_ready_or_refused(admin_page, draft):
    page = admin_page
    publish = reverse("admin:screener_criteriaset_publish", args=[draft.pk])
    assert_accessible(page, publish)
    expect(page.get_by_role("button", name=f"Yes, publish {draft}")).to_be_visible()
    Rule.objects.filter(criteria_set=draft, code="rf_minor").update(condition="age < 18")
    assert_accessible(page, publish)
    expect(page.get_by_text(f"{draft} cannot be published yet")).to_be_visible()


def test_the_rule_and_question_lists_and_pages_have_no_accessibility_violation(admin_page, draft):
    page = admin_page
    rule = draft.rule_set.get(code="rf_minor")
    question = draft.question_set.get(code="age_years")
    for path in [
        reverse("admin:screener_rule_changelist") + f"?criteria_set__id__exact={draft.pk}",
        reverse("admin:screener_rule_change", args=[rule.pk]),
        reverse("admin:screener_question_changelist") + f"?criteria_set__id__exact={draft.pk}",
        reverse("admin:screener_question_change", args=[question.pk]),
    ]:
        assert_accessible(page, path)


def test_the_golden_case_pages_have_no_accessibility_violation(admin_page, draft, screenshot):
    """The draft's golden part, the run of its golden cases, one case's form, a new case's form,
    and the page that makes a golden case from an intake (empty, then refused)."""
    page = admin_page
    case = draft.goldencase_set.order_by("order").first()
    for path in [
        set_page(draft, "golden"),
        reverse("admin:screener_criteriaset_golden", args=[draft.pk]),
        reverse("admin:screener_goldencase_change", args=[case.pk]),
        reverse("admin:screener_goldencase_add") + f"?criteria_set={draft.pk}",
        reverse("admin:screener_criteriaset_golden_from_intake", args=[draft.pk]),
    ]:
        assert_accessible(page, path)
    page.get_by_label("Intake number").fill("999999")
    page.get_by_role("button", name=re.compile("golden case", re.I)).click()
    expect(page.get_by_text("There is no intake 999999.")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "golden-from-intake-refused")
