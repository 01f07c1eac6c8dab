"""Query counts of the front-desk pages do not grow with rows or questions (3 and 30)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from intake.models import Intake, IntakeStatus, ScreeningKind
from intake.services.screenings import screening_record
from screener.models import CriteriaSet, CriteriaSetStatus, Procedure, Question, Rule
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory
from tests.intake.frontdesk_helpers import AS_OF, example_answers, intake_url

pytestmark = pytest.mark.django_db

SIZES = [3, 30]


@pytest.fixture
def desk_client(client):
    client.force_login(FrontDeskFactory())
    return client


# Session, user, the user's roles: every logged-in page starts with these three.
BASE = 3
# Every full staff page (base.html) lists the patient-reported red flags first: one query.
RED_FLAGS = 1
# Every page that shows a patient ends with its audit row: a savepoint, the chain head locked,
# the row, the head moved on, the savepoint released (the test's transaction holds the rest).
AUDIT = 5


@pytest.mark.parametrize("rows", SIZES)
def test_patient_list(desk_client, default_set, django_assert_num_queries, rows):
    for patient in PatientFactory.create_batch(rows):
        IntakeFactory(patient=patient)
    with django_assert_num_queries(BASE + RED_FLAGS + 3 + AUDIT):  # count, one page, its intake counts
        desk_client.get("/patients/")


@pytest.mark.parametrize("rows", SIZES)
def test_patient_list_with_a_search(desk_client, default_set, django_assert_num_queries, rows):
    PatientFactory.create_batch(rows, last_name="Smith")
    desk_client.post("/patients/", {"q": "smith"})
    with django_assert_num_queries(BASE + RED_FLAGS + 3 + AUDIT):
        page = desk_client.get("/patients/")
    assert len(page.context["patients"]) == min(rows, 25)


@pytest.mark.parametrize("rows", SIZES)
def test_patient_detail(desk_client, default_set, django_assert_num_queries, rows):
    patient = PatientFactory()
    IntakeFactory.create_batch(rows, patient=patient)
    # patient, intakes, procedures open, history, the intakes' authorization packets
    with django_assert_num_queries(BASE + RED_FLAGS + 5 + AUDIT):
        desk_client.get(f"/patients/{patient.pk}/")


def criteria_set_with(questions: int) -> CriteriaSet:
    """A published set of its own procedure with ``questions`` yes/no questions in 3 sections."""
    procedure = Procedure.objects.create(slug=f"proc{questions}", name=f"Procedure {questions}")
    criteria_set = CriteriaSet.objects.create(procedure=procedure, version=1)
    for n in range(questions):
        Question.objects.create(
            criteria_set=criteria_set,
            code=f"q{n}",
            section=f"Section {n % 3}",
            prompt=f"Question {n}",
            type="bool",
            requirement="always",
            order=n,
        )
    Rule.objects.create(
        criteria_set=criteria_set,
        code="rf_q0",
        effect="red_flag",
        condition="q0",
        message="First question is yes.",
        source="Test",
    )
    criteria_set.status = CriteriaSetStatus.PUBLISHED
    criteria_set.published_at = timezone.now()
    criteria_set.save()
    return criteria_set


@pytest.mark.parametrize("questions", SIZES)
def test_intake_form(desk_client, default_set, django_assert_num_queries, questions):
    criteria_set = criteria_set_with(questions)
    intake = IntakeFactory(criteria_set=criteria_set, answers={"q1": True})
    desk_client.get(intake_url(intake))  # the set is compiled once, then cached
    # intake with patient and set, questions, documents (with who attached and withdrew them)
    # + the answers' provenance (the patient's answers to confirm) and the patient's link
    with django_assert_num_queries(BASE + RED_FLAGS + 3 + 2 + AUDIT):
        response = desk_client.get(intake_url(intake))
    assert len([f for f in response.context["form"].fields if f.startswith("q")]) == questions


@pytest.mark.parametrize("questions", SIZES)
def test_intake_panel(desk_client, default_set, django_assert_num_queries, questions):
    criteria_set = criteria_set_with(questions)
    intake = IntakeFactory(criteria_set=criteria_set)
    answers = {f"q{n}": "true" for n in range(questions)}
    desk_client.post(intake_url(intake, "panel/"), answers)
    with django_assert_num_queries(BASE + 2 + 1):  # + the answers' provenance
        response = desk_client.post(intake_url(intake, "panel/"), answers)
    assert response.context["summary"].label == "Urgent referral — for physician review now"


@pytest.mark.parametrize("rows", SIZES)
def test_result_page(desk_client, default_set, django_assert_num_queries, rows):
    intake = IntakeFactory(
        patient=PatientFactory(date_of_birth=datetime.date(1946, 6, 1)),
        answers=example_answers("ex-inpatient-candidate.json"),
        status=IntakeStatus.SUBMITTED,
    )
    screening_record(intake=intake, as_of=AS_OF, kind=ScreeningKind.SUBMISSION)
    for n in range(rows - 1):
        screening_record(intake=intake, as_of=AS_OF, kind=ScreeningKind.EDIT, reason=f"r{n}")
    desk_client.get(intake_url(intake))  # the set is compiled once, then cached
    # intake with its latest screening and decision; screenings; questions; decisions;
    # emergency actions (no decision in force: no content blocks to read); documents
    with django_assert_num_queries(BASE + RED_FLAGS + 6 + AUDIT):
        response = desk_client.get(intake_url(intake))
    assert len(response.context["result"].history) == rows


@pytest.mark.parametrize("rows", SIZES)
def test_needs_info_list(desk_client, default_set, django_assert_num_queries, rows):
    for _ in range(rows):
        intake = IntakeFactory(answers={"hospitalized": True}, status=IntakeStatus.SUBMITTED)
        screening_record(intake=intake, as_of=AS_OF, kind=ScreeningKind.SUBMISSION)
    Intake.objects.update(submitted_at=timezone.now())
    with django_assert_num_queries(BASE + RED_FLAGS + 3 + AUDIT):  # count, page, prompts
        response = desk_client.get("/intakes/needs-information/")
    assert len(response.context["rows"]) == min(rows, 25)
