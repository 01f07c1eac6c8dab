"""axe-core on the front desk's and the physician's pages, at desktop and phone width: no
violation of any impact (critical, serious, moderate or minor), with no rule disabled.

axe-core is vendored (tests/browser/vendor/, MPL-2.0) and evaluated in the page through the
DevTools protocol, so the app's Content-Security-Policy stays as it is served.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from tests.browser.conftest import axe_violations as violations
from tests.factories import PatientFactory
from tests.intake.review.factories import proceeding_intake, submitted_intake


def assert_accessible(page: Page, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert violations(page) == [], path


@pytest.fixture
def cases(db, physician_user):
    """A patient with a draft, one with a submitted case, and one proceeding with a handout."""
    draft_patient = PatientFactory(first_name="Dora", last_name="Draft")
    submitted = submitted_intake(outcome="candidate_with_cautions")
    decided = proceeding_intake(physician_user)
    return {"draft_patient": draft_patient, "submitted": submitted, "decided": decided}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_front_desks_pages_have_no_accessibility_violation(
    new_page, front_desk_user, cases, viewport
):
    page = new_page(viewport, user=front_desk_user)
    submitted, decided = cases["submitted"], cases["decided"]
    for path in [
        reverse("intake:patient-list"),
        reverse("intake:patient-create"),
        reverse("intake:patient-detail", args=[submitted.patient_id]),
        reverse("intake:intake-detail", args=[submitted.pk]),
        reverse("intake:intake-detail", args=[decided.pk]),
        reverse("intake:intake-handout", args=[decided.pk]),
        reverse("intake:needs-info-list"),
    ]:
        assert_accessible(page, path)
    # A new intake's form, empty, then with its live panel after an answer.
    page.goto(reverse("intake:patient-detail", args=[cases["draft_patient"].pk]))
    page.get_by_role("button", name="Start").first.click()
    page.wait_for_url("**/intakes/*/")
    assert violations(page) == []
    page.get_by_label("Pain from the fracture").fill("7")
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_physicians_pages_have_no_accessibility_violation(
    new_page, physician_user, cases, viewport
):
    page = new_page(viewport, user=physician_user)
    for path in [
        reverse("review:queue"),
        reverse("review:queue") + "?status=decided",
        reverse("review:case", args=[cases["submitted"].pk]),
        reverse("review:case", args=[cases["decided"].pk]),
    ]:
        assert_accessible(page, path)


def test_the_login_page_has_no_accessibility_violation(new_page):
    page = new_page()
    assert_accessible(page, reverse("login"))
