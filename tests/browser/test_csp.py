"""The Content-Security-Policy in Chromium: every role's main pages work under it, with their
scripts (the live panel, the decision form, Bootstrap, Django admin's own) and no violation.

Two channels report a violation: Chromium's console error ("Refused to ...", which the
``browser_errors`` fixture fails on) and the page's ``securitypolicyviolation`` events, which
an init script (run by the browser outside the page's policy) collects for ``visit`` to check.
``test_an_inline_script_and_style_attribute_are_refused_and_reported`` shows both channels see
a violation, so a page that needed an inline script would fail here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from screener import services
from screener.models import CriteriaSet
from tests.browser.conftest import log_in, tick
from tests.factories import IntakeFactory, PatientFactory
from tests.intake.review.factories import submitted_intake

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ` +
      `${event.sourceFile}:${event.lineNumber}`
  );
});
"""


def watched_page(new_page, user: Any = None, viewport: str = "desktop") -> Page:
    """A page whose every document collects its CSP violations (from the login page on)."""
    page = new_page(viewport)
    page.add_init_script(COLLECT_VIOLATIONS)
    if user is not None:
        log_in(page, user)
        assert_no_violations(page)
    return page


def directives(header: str) -> dict[str, str]:
    """A policy header as {directive: sources} (django-csp does not keep the order)."""
    pairs = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: sources for name, sources in pairs}


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


def assert_no_violations(page: Page) -> None:
    assert violations(page) == [], page.url


def visit(page: Page, path: str) -> None:
    """Open a page of the site: served under the policy, and nothing refused once loaded."""
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    assert directives(response.headers["content-security-policy"]) == POLICY
    page.wait_for_load_state("load")
    assert_no_violations(page)


# --------------------------------------------------------------------------------------------
# The policy is enforced


def test_an_inline_script_and_style_attribute_are_refused_and_reported(
    new_page, front_desk_user, browser_errors
):
    """What a page must never need: both are refused, and both channels report it."""
    page = watched_page(new_page, front_desk_user)
    visit(page, "/patients/")
    browser_errors.allow(r"Content Security Policy")  # the console reports the two below
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__inlineScriptRan = true;";
          document.body.append(script);
          const styled = document.createElement("p");
          styled.id = "styled";
          styled.setAttribute("style", "color: rgb(255, 0, 0)");
          document.body.append(styled);
        }"""
    )
    page.wait_for_function("window.__cspViolations.length >= 2")
    assert page.evaluate("window.__inlineScriptRan === undefined")
    assert page.evaluate("getComputedStyle(document.getElementById('styled')).color") != (
        "rgb(255, 0, 0)"
    )
    assert sorted(v.split(" ")[0] for v in violations(page)) == [
        "script-src-elem",
        "style-src-attr",
    ]
    refused = [p for p in browser_errors.problems if "Content Security Policy" in p]
    assert len(refused) == 2, browser_errors.problems


# --------------------------------------------------------------------------------------------
# Each role's main pages


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_front_desk_pages_work_under_the_policy(new_page, front_desk_user, viewport):
    """Patients, registration, the intake form with its live panel, the result and handout."""
    patient = PatientFactory(first_name="Ada", last_name="Csp", mrn="MRN-CSP-1")
    draft = IntakeFactory(patient=patient)
    page = watched_page(new_page, front_desk_user, viewport)

    visit(page, "/patients/")
    if viewport == "phone":  # Bootstrap's collapsing menu animates through the CSSOM
        page.get_by_role("button", name="Toggle navigation").click()
        expect(page.locator("#main-nav")).to_be_visible()
        assert_no_violations(page)
    visit(page, "/patients/new/")
    visit(page, f"/patients/{patient.pk}/")
    visit(page, "/intakes/needs-information/")

    visit(page, f"/intakes/{draft.pk}/")
    panel = page.locator("#live-panel")
    expect(panel.locator('a[href="#div_id_pain_nrs"]')).to_be_visible()
    # The live panel: the answer is posted and the server's panel replaces the old one.
    page.get_by_label("Pain from the fracture").fill("7")
    expect(panel.locator('a[href="#div_id_pain_nrs"]')).to_have_count(0)
    tick(page.locator("#div_id_cauda_equina_signs").get_by_label("Yes"))
    expect(page.locator("#div_id_cauda_equina_signs + .inline-emergency")).to_be_visible()
    expect(page.locator("#panel-offline")).to_be_hidden()
    assert_no_violations(page)
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".alert-success")).to_contain_text("Draft saved")
    assert_no_violations(page)

    decided = submitted_intake(outcome="candidate")
    visit(page, f"/intakes/{decided.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("screening result")


def test_physician_pages_work_under_the_policy(new_page, physician_user, front_desk_user):
    """The queue, the case view with its decision form, and the handout after "proceed"."""
    intake = submitted_intake(outcome="candidate")
    page = watched_page(new_page, physician_user)

    visit(page, "/review/")
    expect(page.locator("table.review-queue tbody tr")).to_have_count(1)
    visit(page, "/review/?status=decided")

    visit(page, f"/review/{intake.pk}/")
    planned = page.get_by_label("Planned procedure date (optional)")
    tick(page.get_by_label("Conservative care"))
    expect(planned).to_be_hidden()  # review.js shows the date only for "proceed"
    tick(page.get_by_label("Proceed to procedure"))
    expect(planned).to_be_visible()
    assert_no_violations(page)
    page.get_by_role("button", name="Take the case and sign").click()
    expect(page.locator(".alert-success")).to_contain_text("Decision signed")
    assert_no_violations(page)

    desk = watched_page(new_page, front_desk_user)
    visit(desk, f"/intakes/{intake.pk}/")
    desk.get_by_role("link", name="Patient handout").click()
    expect(desk.locator(".handout")).to_be_visible()
    assert_no_violations(desk)


def test_criteria_admin_pages_work_under_the_policy(new_page, criteria_admin_user, default_set):
    """Django admin's own pages and scripts, and the criteria set's pages beside them."""
    draft = services.criteria_set_clone(criteria_set=default_set)
    page = watched_page(new_page, criteria_admin_user)

    visit(page, "/admin/")
    visit(page, "/admin/screener/criteriaset/")
    visit(page, f"/admin/screener/criteriaset/{default_set.pk}/change/?part=questions")
    visit(page, f"/admin/screener/criteriaset/{default_set.pk}/change/?part=rules&effect=red_flag")
    expect(page.locator(".set-help a.current")).to_have_text("red_flag")
    assert page.locator(".set-help a.current").evaluate(
        "link => getComputedStyle(link).fontWeight"
    ) in ("700", "bold")
    visit(page, f"/admin/screener/criteriaset/{default_set.pk}/golden/")
    expect(page.locator("#golden-summary")).to_contain_text("0 failed")
    assert (
        page.locator("#golden-results .pass").first.evaluate("cell => getComputedStyle(cell).color")
        == "rgb(26, 127, 55)"
    )  # admin_screener.css, not an inline <style>

    # A draft: admin's inline formsets add rows from their template.
    visit(page, f"/admin/screener/criteriaset/{draft.pk}/change/?part=parameters")
    rows = page.locator("#parameter_set-group tbody tr.form-row:not(.empty-form)")
    before = rows.count()
    page.locator("#parameter_set-group").get_by_role(
        "button", name=re.compile("Add another")
    ).click()
    expect(rows).to_have_count(before + 1)
    assert_no_violations(page)
    visit(page, f"/admin/screener/criteriaset/{draft.pk}/impact/")
    visit(page, f"/admin/screener/criteriaset/{draft.pk}/publish/")

    # A golden case's page: admin's calendar shortcut, and the prepopulated slug of a procedure.
    visit(page, f"/admin/screener/goldencase/add/?criteria_set={draft.pk}")
    page.get_by_role("link", name="Today").first.click()
    expect(page.locator("#id_as_of")).not_to_have_value("")
    assert_no_violations(page)
    visit(page, "/admin/screener/procedure/add/")
    page.get_by_label("Name").press_sequentially("Kypho plasty")  # prepopulate.js reads keyup
    expect(page.get_by_label("Slug")).to_have_value("kypho-plasty")
    assert_no_violations(page)
    assert CriteriaSet.objects.filter(pk=draft.pk, status="draft").exists()


def test_the_login_page_works_under_the_policy(new_page):
    page = watched_page(new_page)
    visit(page, "/accounts/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
