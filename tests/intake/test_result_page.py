"""The result page: outcome label, the rules that held, what failed, codes, and the history."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from intake.models import Intake, IntakeStatus, ScreeningKind
from intake.services.screenings import screening_record
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory, PhysicianFactory
from tests.intake.frontdesk_helpers import AS_OF, example_answers, intake_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client):
    client.force_login(FrontDeskFactory())
    return client


def screened(answers, **patient) -> Intake:
    patient.setdefault("date_of_birth", datetime.date(1946, 6, 1))
    intake = IntakeFactory(
        patient=PatientFactory(**patient), answers=answers, status=IntakeStatus.SUBMITTED
    )
    screening_record(intake=intake, as_of=AS_OF, kind=ScreeningKind.SUBMISSION)
    return Intake.objects.get(pk=intake.pk)


def page(client, intake) -> str:
    response = client.get(intake_url(intake))
    assert response.status_code == 200
    assert response.templates[0].name == "intake/intake_result.html"
    return response.content.decode()


def headings(body: str) -> list[str]:
    return re.findall(r'<h3 class="h6[^"]*">([^<]+)</h3>', body)


def test_candidate_shows_label_codes_billing_panel_and_version(desk_client, default_set):
    body = page(desk_client, screened(example_answers("ex-three-thoracic-levels.json")))
    assert "Meets criteria" in body
    assert "The screener suggests (for physician review; only a physician decides)" in body
    assert "Criteria set <strong>vertebroplasty version 1</strong>" in body
    assert "screening date 2025-03-14" in body
    assert "If vertebroplasty; provisional until the physician confirms the levels." in body
    codes = re.findall(r'<span class="badge text-bg-light border me-1">([^<]+)</span>', body)
    assert codes == ["22510", "+22512", "+22512"]
    assert "Cost: USD 5,000 to 15,000." in body
    assert "Pathways that hold" in body
    assert "All 4 prerequisites hold." in body


def test_22325_appears_only_in_the_note_explaining_the_correction(desk_client, default_set):
    body = page(desk_client, screened(example_answers("ex-inpatient-candidate.json")))
    note = re.search(r'<ul class="small coding-note">.*?</ul>', body, re.S).group(0)
    assert "22325 is open posterior treatment of a lumbar fracture" in note
    assert body.count("22325") == note.count("22325") > 0


def test_no_codes_and_no_billing_panel_unless_a_candidate(desk_client, default_set):
    body = page(desk_client, screened(example_answers("ex-fever.json")))
    assert "Suggested CPT codes" not in body
    assert "22325" not in body
    assert "22511" not in body


def test_red_flags_and_contraindications_come_first(desk_client, default_set):
    answers = example_answers("ex-stable-two-findings-on-warfarin.json") | {
        "infection_signs": True,
        "cement_allergy": True,
    }
    body = page(desk_client, screened(answers))
    assert "Urgent referral" in body
    groups = headings(body)
    assert groups[:4] == ["Red flags", "Contraindications", "Pathways that hold", "Cautions"]
    assert "Possible spinal infection." in body
    assert "Reported allergy to bone cement (provisional)." in body


def test_emergency_shows_the_emergency_wording(desk_client, default_set):
    body = page(desk_client, screened(example_answers("ex-cauda-equina.json")))
    assert (
        "EMERGENCY: do not book; contact the on-call spine clinician now or send to the "
        "emergency department today"
    ) in body


def test_conservative_lists_what_failed_and_the_alternatives(desk_client, default_set):
    body = page(desk_client, screened(example_answers("ex-outpatient-mild-pain.json")))
    assert "Conservative care suggested" in body
    assert "Pathways that did not hold" in body
    assert "Outpatient whose pain is worsening despite documented non-surgical care." in body
    assert "Conservative alternatives" in body
    assert "Pain relief with paracetamol first." in body
    assert "Suggested CPT codes" not in body


def test_conservative_lists_failed_prerequisites(desk_client, default_set):
    answers = example_answers("ex-inpatient-candidate.json") | {"symptom_onset_date": "2024-06-01"}
    body = page(desk_client, screened(answers))
    assert "Prerequisites that failed" in body
    assert "The fracture is chronic" in body


def test_needs_info_lists_the_missing_answers_by_prompt(desk_client, default_set):
    answers = example_answers("ex-pain-score-missing.json")
    body = page(desk_client, screened(answers))
    assert "Information needed" in body
    assert "Missing answers (1)" in body
    assert "<li>Pain from the fracture, 0 (none) to 10" in body


def test_earlier_screenings_stay_visible(desk_client, default_set):
    answers = example_answers("ex-pain-score-missing.json")
    intake = screened(answers)
    intake.answers = answers | {"pain_nrs": 9}
    intake.save()
    screening_record(intake=intake, as_of=AS_OF, kind=ScreeningKind.EDIT, reason="Pain score")
    body = page(desk_client, Intake.objects.get(pk=intake.pk))
    assert "Screening history (2)" in body
    assert "Details of this earlier screening" in body
    assert "Pain score" in body


def test_result_prints_as_a_one_page_summary(desk_client, default_set):
    body = page(desk_client, screened(example_answers("ex-inpatient-candidate.json")))
    assert '<link rel="stylesheet" href="/static/css/print.css" media="print">' in body
    assert '<section class="mt-4 d-print-none" aria-labelledby="history-title">' in body
    css = (Path(__file__).resolve().parents[2] / "static/css/print.css").read_text()
    assert "@page" in css
    assert ".d-print-none" in css and "details" in css


def test_physician_reads_the_result(client, default_set):
    intake = screened(example_answers("ex-inpatient-candidate.json"))
    client.force_login(PhysicianFactory())
    body = page(client, intake)
    assert "Meets criteria" in body
    assert "Edit answers" not in body
