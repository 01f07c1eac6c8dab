"""A background job's progress page, once done, lists the intakes whose outcome changed as the
impact preview does: naming the patient and linking to the case for a reader who may see
patients (audited as a list of patients), the intake number only otherwise; a re-screen says
what changed, a preview what would change."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from intake.models import AuditAction, AuditEvent
from intake.roles import PHYSICIAN
from screener import services, tasks
from screener.models import CriteriaJob, CriteriaJobKind, CriteriaJobStatus
from screener.services import criteria_set_clone
from tests.screener.helpers import MILD, WARFARIN, set_parameter, submitted_intake
from tests.screener.jobs import publish_threshold_7
from tests.screener.test_admin import text, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed(default_set):
    """An open intake on version 1 (outpatient, pain 6) that version 2 screens differently."""
    changing = submitted_intake(WARFARIN)
    submitted_intake(MILD)
    return changing


def done_job(kind: str, criteria_set) -> CriteriaJob:
    job = services.criteria_job_create(kind=kind, criteria_set=criteria_set, limit=500)
    tasks.task_of(kind).call(job.pk)
    job.refresh_from_db()
    assert job.status == CriteriaJobStatus.DONE
    return job


def job_page(client, job) -> str:
    return text(client.get(url("criteriajob_change", job.pk)))


def test_a_done_rescreen_names_the_patient_to_a_physician_and_says_changed(
    client_admin, cadmin, default_set, changed
):
    cadmin.groups.add(Group.objects.get(name=PHYSICIAN))
    job = done_job(CriteriaJobKind.RESCREEN, publish_threshold_7(default_set))
    page = job_page(client_admin, job)
    patient = changed.patient
    name = f"{patient.last_name}, {patient.first_name}, {patient.mrn}"
    case_url = reverse("review:case", args=[changed.pk])
    assert f'<a href="{case_url}">{name}</a> <small class="code">intake {changed.pk}</small>' in (
        page
    )
    assert "<strong>1</strong> changed outcome, 1 did not." in page
    assert "would change" not in page
    listed = AuditEvent.objects.get(action=AuditAction.LIST, user=cadmin)
    assert (listed.patients_shown, listed.part) == ([patient.pk], "background job report")


def test_a_criteria_admin_who_is_not_a_physician_sees_the_intake_number_only(
    client_admin, cadmin, default_set, changed
):
    job = done_job(CriteriaJobKind.RESCREEN, publish_threshold_7(default_set))
    page = job_page(client_admin, job)
    assert f"<td>{changed.pk}</td>" in page
    # The name as the page would show it: a bare last name such as "Chang" (Faker's) is
    # part of the admin's "Change password".
    patient = changed.patient
    assert f"{patient.last_name}, {patient.first_name}" not in page
    assert patient.mrn not in page
    assert reverse("review:case", args=[changed.pk]) not in page
    assert not AuditEvent.objects.filter(action=AuditAction.LIST).exists()


def test_a_preview_job_says_what_would_change(client_admin, cadmin, default_set, changed):
    cadmin.groups.add(Group.objects.get(name=PHYSICIAN))
    draft = criteria_set_clone(criteria_set=default_set)
    set_parameter(draft, "nrs_outpatient_min", 7)
    page = job_page(client_admin, done_job(CriteriaJobKind.IMPACT, draft))
    assert "<strong>1</strong> would change outcome, 1 would not." in page
    assert reverse("review:case", args=[changed.pk]) in page


def test_the_impact_preview_page_audits_the_patients_it_names(
    client_admin, cadmin, default_set, changed
):
    cadmin.groups.add(Group.objects.get(name=PHYSICIAN))
    draft = criteria_set_clone(criteria_set=default_set)
    set_parameter(draft, "nrs_outpatient_min", 7)
    client_admin.post(url("criteriaset_impact", draft.pk), {"limit": "500"})
    listed = AuditEvent.objects.get(action=AuditAction.LIST, user=cadmin)
    assert (listed.patients_shown, listed.part) == ([changed.patient_id], "impact preview")
