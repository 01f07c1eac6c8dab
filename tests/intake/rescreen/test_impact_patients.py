"""The impact preview's changed cases name the patient and link to the case view for a reader
who may see patients (a physician); a criteria admin without that role, who may not open a
patient or a case (tests/security/test_access_matrix.py), sees the intake number only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from intake.roles import PHYSICIAN
from screener.models import Parameter
from screener.services import criteria_set_clone
from tests.factories import PatientFactory
from tests.intake.review.factories import submitted_intake
from tests.screener.test_admin import text, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed(default_set):
    """A draft under which one intake (of Ada Hollowey, MRN-77) changes outcome."""
    draft = criteria_set_clone(criteria_set=default_set)
    Parameter.objects.filter(criteria_set=draft, name="nrs_outpatient_min").update(value=7)
    patient = PatientFactory(last_name="Hollowey", first_name="Ada", mrn="MRN-77")
    intake = submitted_intake(outcome="candidate_with_cautions", patient=patient)
    submitted_intake(outcome="candidate")
    return draft, intake


def preview(client: Client, draft) -> str:
    return text(client.post(url("criteriaset_impact", draft.pk), {"limit": "500"}))


def test_a_physician_criteria_admin_sees_the_patient_and_a_link_to_the_case(
    client_admin, cadmin, changed
):
    draft, intake = changed
    cadmin.groups.add(Group.objects.get(name=PHYSICIAN))
    page = preview(client_admin, draft)
    case_url = reverse("review:case", args=[intake.pk])
    assert (
        f'<a href="{case_url}">Hollowey, Ada, MRN-77</a> <small class="code">intake {intake.pk}'
        "</small>"
    ) in page


def test_a_criteria_admin_sees_the_intake_number_and_outcome_change_without_a_name(
    client_admin, changed
):
    draft, intake = changed
    page = preview(client_admin, draft)
    assert f"<td>{intake.pk}</td>" in page
    assert "Conservative care suggested" in page
    assert "Hollowey" not in page and "MRN-77" not in page
    assert reverse("review:case", args=[intake.pk]) not in page
