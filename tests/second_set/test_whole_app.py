"""A made-up second procedure goes through every part of the app: the intake form, screening,
the queue, the case view, a decision with a technique, the handout's follow-up dates, admin
clone and publish, re-screen, and `manage.py screen`. No code names either procedure."""

from __future__ import annotations

import html
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from intake.models import Intake, IntakeStatus
from screener.models import CriteriaSet
from tests.factories import FrontDeskFactory, PatientFactory, PhysicianFactory
from tests.intake.frontdesk_helpers import born_aged, form_data, intake_url
from tests.second_set.conftest import AS_OF

pytestmark = pytest.mark.django_db

CANDIDATE = {
    "injury_date": "2024-10-01",  # 23.4 weeks before AS_OF
    "knee_side": "right",
    "nerve_count": 5,
    "knee_pain": 7,
    "hot_swollen_knee": False,
    "steroid_last_month": False,
}


def text(response) -> str:
    return html.unescape(response.content.decode())


def submit(client, knee_set, answers, *, age=70) -> Intake:
    """The front desk registers nothing new: a patient, an intake of the knee set, submitted."""
    patient = PatientFactory(date_of_birth=born_aged(age, AS_OF))
    client.force_login(FrontDeskFactory())
    started = client.post(
        "/intakes/start/", {"patient": patient.pk, "procedure": knee_set.procedure.pk}
    )
    intake = Intake.objects.get(patient=patient)
    assert started["Location"] == intake_url(intake)
    form = text(client.get(intake_url(intake)))
    assert "Which knee?" in form and "Knee pain now (0 to 10)" in form
    assert "Age (from the date of birth)" not in form  # filled by the app, not asked
    submitted = client.post(intake_url(intake), form_data(answers, version=1, action="submit"))
    assert submitted.status_code == 302, text(submitted)[:500]
    return Intake.objects.get(pk=intake.pk)


def test_a_candidate_goes_from_the_form_to_a_decision_and_a_handout(client, knee_set, frozen):
    intake = submit(client, knee_set, CANDIDATE, age=88)
    screening = intake.latest_screening
    assert screening.criteria_set == knee_set
    assert screening.answers["patient_age"] == 88  # the question marked filled by the app
    assert screening.outcome == "candidate_with_cautions"
    assert screening.deciding == ["ca_older", "pw_knee_pain"]
    assert screening.key_reason == "Aged 85 or over: plan the sedation with care."
    # The coding table's first technique; right knee; five nerves capped at max_nerves (3).
    assert screening.suggested_codes == ["90002", "+90003", "+90003"]

    physician = PhysicianFactory(first_name="Ada", last_name="Lovelace")
    client.force_login(physician)
    queue = text(client.get(reverse("review:queue")))
    assert "Aged 85 or over: plan the sedation with care." in queue

    case = text(client.get(reverse("review:case", args=[intake.pk])))
    assert "Weeks of knee pain" in case and "23.4 (at the screening date)" in case
    assert "90002, +90003, +90003" in case
    assert "Ultrasound-guided block" in case and "Landmark-guided block" in case
    assert "made-up codes for tests" in case

    decided = client.post(
        reverse("review:decide", args=[intake.pk]),
        {
            "kind": "proceed",
            "technique": "landmark",
            "planned_procedure_date": "2025-03-22",  # a Saturday
            "screening": intake.latest_screening_id,
        },
    )
    assert decided.status_code == 302, text(decided)[:800]
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.DECIDED
    assert intake.current_decision.technique == "landmark"

    case = text(client.get(reverse("review:case", args=[intake.pk])))
    assert "90012" in case and "+90003" not in case  # landmark: no add-on in its rows

    client.force_login(FrontDeskFactory())
    result = text(client.get(intake_url(intake)))
    assert "90012" in result and "Landmark-guided block" in result
    handout = text(client.get(reverse("intake:intake-handout", args=[intake.pk])))
    assert "Before your knee block" in handout and "Bring a driver." in handout
    assert "Technique: <strong>Landmark-guided block</strong>." in handout  # follows the choice
    # The set's follow-ups from the planned date (2025-03-22), each on the nearest weekday.
    assert "Phone call two days after" in handout and "March 24, 2025" in handout
    assert "Clinic visit at six weeks" in handout and "May 2, 2025" in handout


def test_conservative_and_emergency_outcomes_of_the_second_set(client, knee_set, frozen):
    conservative = submit(client, knee_set, CANDIDATE | {"knee_pain": 2})
    assert conservative.latest_screening.outcome == "conservative"
    assert conservative.latest_screening.key_reason == "No treatment pathway is met."
    assert conservative.latest_screening.suggested_codes == []

    urgent = submit(client, knee_set, CANDIDATE | {"hot_swollen_knee": True})
    assert (urgent.latest_screening.outcome, urgent.emergency) == ("urgent", True)
    page = text(client.get(intake_url(urgent)))
    assert "EMERGENCY" in page and "Possible septic joint" in page


def test_admin_clones_edits_publishes_and_rescreens_the_second_set(client, knee_set, cadmin):
    intake = submit(client, knee_set, CANDIDATE | {"knee_pain": 4})
    assert intake.latest_screening.outcome == "candidate"
    client.force_login(cadmin)
    cloned = client.post(
        reverse("admin:screener_criteriaset_clone", args=[knee_set.pk]), {"notes": "Pain 5+."}
    )
    assert cloned.status_code == 302
    draft = CriteriaSet.objects.get(procedure=knee_set.procedure, version=2)
    assert list(draft.codingrow_set.values_list("primary_code", flat=True)) == [
        "90001",
        "90002",
        "90011",
        "90012",
    ]
    assert draft.followupvisit_set.count() == 2
    assert list(draft.diagnosiscode_set.values_list("code", "applies_when")) == [
        ("M17.11", "knee_side == 'right'"),
        ("M17.12", "knee_side == 'left'"),
    ]
    assert list(
        draft.rule_set.filter(coverage_criterion=True).values_list("code", "payer_citation")
    ) == [
        ("ci_recent_steroid", "Made-up policy KB-1, exclusion 1"),
        ("pre_chronic", "Made-up policy KB-1, criterion 1"),
        ("pw_knee_pain", "Made-up policy KB-1, criterion 2"),
    ]
    assert (draft.coverage_policy, str(draft.coverage_policy_revised)) == (
        "Made-up policy KB-1",
        "2025-01-01",
    )
    draft.parameter_set.filter(name="knee_pain_min").update(value=5)
    published = client.post(
        reverse("admin:screener_criteriaset_publish", args=[draft.pk]), {"confirm": "on"}
    )
    assert published.status_code == 302, text(published)[:800]
    draft.refresh_from_db()
    assert draft.status == "published"

    call_command("rescreen", "--procedure", "knee_block", stdout=io.StringIO())
    intake.refresh_from_db()
    assert intake.criteria_set == draft
    assert intake.latest_screening.outcome == "conservative"


def test_manage_py_screen_screens_the_second_set_with_a_technique(knee_set, tmp_path):
    answers = CANDIDATE | {"patient_age": 70}  # the command takes the age as an answer
    case = {"procedure": "knee_block", "as_of": AS_OF.isoformat(), "answers": answers}
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([case, case | {"technique": "landmark"}]))
    out = io.StringIO()
    call_command("screen", str(path), stdout=out)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["criteria_set"] == {"procedure": "knee_block", "version": 1}
    assert first["outcome"] == "candidate"
    assert first["suggested_codes"] == ["90002", "+90003", "+90003"]
    assert second["suggested_codes"] == ["90012"]


def test_the_second_sets_golden_cases_pass(knee_set):
    from screener.golden import golden_cases_run

    assert [r.passed for r in golden_cases_run(knee_set)] == [True, True]
