"""The audit report as an auditor uses it in Chromium: signed in, sent to the report, a patient
typed into the filter box, the rows about that patient shown; under the Content-Security-Policy
(a refused script or style would be a console error, which fails the test)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from intake.roles import AUDITOR
from intake.services.accounts import roles_ensure
from intake.services.audit import audit_record
from tests.factories import PatientFactory, UserFactory


def test_an_auditor_filters_the_report_by_a_patients_mrn(new_page, front_desk_user, screenshot):
    roles_ensure()
    auditor = UserFactory(username="audrey", is_staff=True, role=AUDITOR)
    patient, other = PatientFactory(mrn="MRN-AUDIT-1"), PatientFactory()
    audit_record(action="view", user=front_desk_user, patient=patient, part="patient page")
    audit_record(action="view", user=front_desk_user, patient=other, part="result")

    page = new_page("desktop", user=auditor)
    expect(page).to_have_url(re.compile(r"/admin/intake/auditevent/$"))
    page.get_by_label("patient (id or MRN)").fill("MRN-AUDIT-1")
    page.get_by_label("patient (id or MRN)").press("Enter")
    expect(page).to_have_url(re.compile(r"\?patient=MRN-AUDIT-1$"))
    # The front desk's view of the patient, and the auditor's own first look at the report
    # (its list showed the patient): newest first.
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("audrey")
    expect(rows.nth(0)).to_contain_text("audit report")
    expect(rows.nth(1)).to_contain_text("MRN-AUDIT-1")
    expect(rows.nth(1)).to_contain_text("patient page")
    expect(page.get_by_role("link", name="Export CSV (these filters)")).to_have_attribute(
        "href", "/admin/intake/auditevent/export.csv?patient=MRN-AUDIT-1"
    )
    screenshot(page, "audit-report-patient")
