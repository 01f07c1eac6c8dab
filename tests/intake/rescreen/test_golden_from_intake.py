"""A draft's golden case made from a real intake in one click: answers (the age the app filled
in included) and screening date copied, the current result as the expectation, no patient
identity; only criteria admins; the read of the intake audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from intake.models import AuditAction, AuditEvent, IntakeStatus
from intake.rescreen.golden_cases import IntakeNotCopyable, golden_case_from_intake
from intake.roles import PHYSICIAN
from intake.services.accounts import roles_ensure
from screener.golden import golden_cases_run
from screener.models import CriteriaChange, GoldenCase, Parameter
from screener.services import criteria_set_clone
from tests.factories import IntakeFactory, PatientFactory, PhysicianFactory
from tests.intake.review.factories import submitted_intake
from tests.screener.test_admin import text, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(default_set):
    return criteria_set_clone(criteria_set=default_set)


@pytest.fixture
def intake():
    patient = PatientFactory(last_name="Hollowey", first_name="Ada", mrn="MRN-77")
    return submitted_intake(outcome="candidate_with_cautions", patient=patient)


def copy_page(draft) -> str:
    return url("criteriaset_golden_from_intake", draft.pk)


def test_the_case_copies_the_screening_and_no_identity(draft, intake, cadmin):
    screening = intake.latest_screening
    made = golden_case_from_intake(criteria_set=draft, intake_id=intake.pk, user=cadmin)
    case = made.case
    assert case.answers == screening.answers
    assert case.answers["age_years"] == screening.answers["age_years"]  # filled in by the app
    assert case.as_of == screening.as_of
    assert case.expected_outcome == "candidate_with_cautions"
    assert case.expected_holding == [r["code"] for r in screening.rule_results if r["holds"]]
    assert case.expected_missing == screening.missing
    assert case.name == f"intake-{intake.pk}-candidate_with_cautions"
    assert case.description == (
        f"From intake {intake.pk}, Appears to meet criteria, cautions to review: its screening "
        f"of {screening.as_of.isoformat()} under vertebroplasty v1."
    )
    stored = f"{case.name} {case.description} {case.answers}"
    for identity in ("Hollowey", "Ada", "MRN-77", intake.patient.date_of_birth.isoformat()):
        assert identity not in stored
    # Under an unchanged draft the case passes: it is the intake's own result.
    assert [r.passed for r in golden_cases_run(draft, [case])] == [True]
    assert CriteriaChange.objects.filter(criteria_set=draft, summary__contains=case.name)


def test_reading_the_intake_is_audited_as_a_read_of_its_patient(draft, intake, cadmin):
    golden_case_from_intake(criteria_set=draft, intake_id=intake.pk, user=cadmin)
    event = AuditEvent.objects.get(action=AuditAction.VIEW, user=cadmin)
    assert (event.patient_id, event.object_type, event.object_id) == (
        intake.patient_id,
        "intake.intake",
        str(intake.pk),
    )
    assert "Hollowey" not in event.detail


def test_a_second_copy_gets_its_own_name(draft, intake, cadmin):
    first = golden_case_from_intake(criteria_set=draft, intake_id=intake.pk, user=cadmin).case
    second = golden_case_from_intake(criteria_set=draft, intake_id=intake.pk, user=cadmin).case
    assert second.name == f"{first.name}-2"
    assert second.order > first.order


def test_answers_the_draft_no_longer_asks_are_left_out_and_named(draft, intake, cadmin):
    assert intake.latest_screening.answers["contrast_allergy"] is False
    draft.question_set.filter(code="contrast_allergy").delete()
    made = golden_case_from_intake(criteria_set=draft, intake_id=intake.pk, user=cadmin)
    assert made.left_out == ("contrast_allergy",)
    assert "contrast_allergy" not in made.case.answers


def test_one_click_makes_the_case_and_opens_it_to_edit(client_admin, draft, intake):
    response = client_admin.post(copy_page(draft), {"intake": str(intake.pk)}, follow=True)
    case = GoldenCase.objects.get(criteria_set=draft, name__startswith=f"intake-{intake.pk}-")
    assert response.redirect_chain == [(url("goldencase_change", case.pk), 302)]
    page = text(response)
    assert f"Golden case {case.name} made from intake {intake.pk}: check its answers" in page
    assert 'name="answer_pain_nrs"' in page  # the form by question


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Intake number: give the number of the intake to copy."),
        ("abc", "Intake number: give a whole number, such as 123."),
        ("999999", "Intake number: There is no intake 999999."),
    ],
)
def test_a_bad_intake_number_is_an_error_naming_the_field(client_admin, draft, typed, message):
    before = GoldenCase.objects.count()
    response = client_admin.post(copy_page(draft), {"intake": typed})
    assert response.status_code == 200
    assert response.context["form"].errors == {"intake": [message]}
    assert GoldenCase.objects.count() == before
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW).exists()


def test_an_intake_never_screened_cannot_be_copied(client_admin, draft):
    never = IntakeFactory(status=IntakeStatus.DRAFT)
    response = client_admin.post(copy_page(draft), {"intake": str(never.pk)})
    assert response.context["form"].errors == {
        "intake": [
            f"Intake number: Intake {never.pk} has not been screened yet: it is a draft not "
            "yet submitted."
        ]
    }


def test_a_published_set_takes_no_new_golden_case(client_admin, default_set, intake):
    response = client_admin.post(copy_page(default_set), {"intake": str(intake.pk)})
    assert response.status_code == 302
    assert not GoldenCase.objects.filter(name__startswith="intake-").exists()
    with pytest.raises(IntakeNotCopyable):
        golden_case_from_intake(criteria_set=default_set, intake_id=10**9, user=None)


def test_only_criteria_admins_may_copy_an_intake(draft, intake):
    roles_ensure()
    client = Client()
    client.force_login(PhysicianFactory())
    assert client.post(copy_page(draft), {"intake": str(intake.pk)}).status_code == 302
    assert not GoldenCase.objects.filter(name__startswith="intake-").exists()


def test_the_impact_preview_offers_each_changed_intake_as_a_golden_case(
    client_admin, draft, intake
):
    Parameter.objects.filter(criteria_set=draft, name="nrs_outpatient_min").update(value=7)
    page = text(client_admin.post(url("criteriaset_impact", draft.pk), {"limit": "500"}))
    assert f'action="{copy_page(draft)}"' in page
    assert f'name="intake" value="{intake.pk}"' in page


def test_the_draft_offers_the_page_a_published_set_does_not(client_admin, draft, default_set):
    draft_page = text(
        client_admin.get(reverse("admin:screener_criteriaset_change", args=[draft.pk]))
    )
    assert f'href="{copy_page(draft)}"' in draft_page
    published = text(
        client_admin.get(reverse("admin:screener_criteriaset_change", args=[default_set.pk]))
    )
    assert copy_page(default_set) not in published


def test_a_physician_criteria_admin_copies_too(client_admin, cadmin, draft, intake):
    cadmin.groups.add(Group.objects.get(name=PHYSICIAN))
    assert client_admin.post(copy_page(draft), {"intake": str(intake.pk)}).status_code == 302
