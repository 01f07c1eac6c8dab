"""A criteria admin edits a draft's prior-authorization data in the browser: the coverage fields
of a rule (a problem shown on its field, nothing saved), the set's coverage policy, and a new
diagnosis code beside the coding table; each page passes axe at 1366 px."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from screener.services import criteria_set_clone
from tests.browser.conftest import AXE_PRELOAD_REFUSED_BY_CSP, assert_no_axe_violations, tick


@pytest.fixture
def admin_page(criteria_admin_page: Page, browser_errors) -> Page:
    browser_errors.allow(*AXE_PRELOAD_REFUSED_BY_CSP)
    return criteria_admin_page


@pytest.fixture
def draft(default_set):
    return criteria_set_clone(criteria_set=default_set)


def set_page(criteria_set, part: str) -> str:
    path = reverse("admin:screener_criteriaset_change", args=[criteria_set.pk])
    return f"{path}?part={part}"


def test_a_rule_ticked_as_a_coverage_criterion_without_wording_is_refused_on_its_field(
    admin_page, draft, screenshot
):
    page = admin_page
    page.goto(set_page(draft, "rules"))
    expect(page.get_by_label("Payer wording of rule pw_inpatient", exact=True)).to_have_value(
        re.compile("^Hospitalized with severe pain")
    )
    expect(page.get_by_label("Coverage group of rule pw_inpatient", exact=True)).to_have_value(
        "pain_pathway"
    )
    screenshot(page, "rules-with-coverage")
    tick(page.get_by_label("Coverage criterion of rule ca_improving", exact=True))
    page.get_by_label("Payer wording of rule pw_inpatient", exact=True).fill("")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("Nothing was saved: 2 expression problem")
    wording = page.get_by_label("Payer wording of rule pw_inpatient", exact=True)
    expect(wording).to_have_attribute("aria-invalid", "true")
    expect(wording).to_have_accessible_description(
        re.compile("a coverage criterion needs the payer's wording")
    )
    ticked = page.get_by_label("Coverage criterion of rule ca_improving", exact=True)
    expect(ticked).to_have_accessible_description(
        re.compile("a caution rule cannot be a coverage criterion")
    )
    assert_no_axe_violations(page)
    screenshot(page, "rules-refused")
    assert draft.rule_set.get(code="pw_inpatient").payer_wording


def test_a_diagnosis_code_is_added_beside_the_coding_table(admin_page, draft, screenshot):
    page = admin_page
    page.goto(set_page(draft, "coding"))
    expect(page.get_by_label("Coverage policy:", exact=True)).to_have_value("LCD L38201")
    expect(
        page.get_by_label("ICD-10-CM code of diagnosis code M84.58XA", exact=True)
    ).to_have_value("M84.58XA")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Add another Diagnosis code").click()
    new = page.locator("tr.form-row:not(.empty-form)")  # not the hidden template row
    new.get_by_label("ICD-10-CM code of new diagnosis code", exact=True).fill("M48.55XA")
    new.get_by_label("Description of new diagnosis code", exact=True).fill(
        "Collapsed vertebra, not elsewhere classified, thoracolumbar region, initial encounter"
    )
    new.get_by_label("Suggested when of new diagnosis code", exact=True).fill(
        "not osteoporosis and fracture_level in ['T12', 'L1']"
    )
    new.get_by_label("Order of new diagnosis code", exact=True).fill("70")
    screenshot(page, "coding-with-new-diagnosis")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("Saved")
    expect(
        page.get_by_label("ICD-10-CM code of diagnosis code M48.55XA", exact=True)
    ).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "coding-saved")
    assert draft.diagnosiscode_set.get(code="M48.55XA").applies_when.startswith("not osteoporosis")
