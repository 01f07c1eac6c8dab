"""The result page: the decision in force first, then the suggestion and why (with values),
billing only after "proceed", the emergency loop, the answers as typed, and the history."""

from __future__ import annotations

import datetime
import html
import re

import pytest
import time_machine

from intake.models import DecisionKind, Intake, IntakeStatus, ScreeningKind
from intake.services import reviews
from intake.services.screenings import screening_record
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory, PhysicianFactory
from tests.intake.frontdesk_helpers import AS_OF, example_answers, intake_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

NOW = datetime.datetime(2025, 3, 14, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture
def desk_client(client):
    client.force_login(FrontDeskFactory(first_name="Dana", last_name="Desk"))
    return client


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def doctor():
    return PhysicianFactory(first_name="Rosa", last_name="Ortiz")


def screened(answers, **patient) -> Intake:
    patient.setdefault("date_of_birth", datetime.date(1946, 6, 1))
    intake = IntakeFactory(
        patient=PatientFactory(**patient), answers=answers, status=IntakeStatus.SUBMITTED
    )
    screening_record(intake=intake, as_of=AS_OF, kind=ScreeningKind.SUBMISSION)
    return Intake.objects.get(pk=intake.pk)


def decide(intake, physician, kind, **kwargs) -> None:
    reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=kind,
        physician=physician,
        **kwargs,
    )


def page(client, intake) -> str:
    response = client.get(intake_url(intake))
    assert response.status_code == 200
    assert response.templates[0].name == "intake/intake_result.html"
    return html.unescape(response.content.decode())


def screen_part(body: str) -> str:
    """What the screen shows (the print-only summary comes first in the page)."""
    return body[body.index('<div class="d-print-none">') :]


def print_part(body: str) -> str:
    start = body.index('<div class="print-summary d-none d-print-block">')
    return body[start : body.index('<div class="d-print-none">')]


def headings(body: str) -> list[str]:
    return re.findall(r'<h3 class="h6[^"]*">([^<]+)</h3>', screen_part(body))


# --------------------------------------------------------------------------------------------
# Before a decision: a suggestion awaiting review, and no billing


def test_a_candidate_reads_as_a_suggestion_awaiting_review_without_codes(desk_client, default_set):
    body = page(desk_client, screened(example_answers("ex-three-thoracic-levels.json")))
    screen = screen_part(body)
    assert "No physician decision yet." in screen
    assert "Appears to meet criteria — awaiting physician review" in screen
    assert "Meets criteria" not in body
    assert "Criteria set <strong>vertebroplasty version 1</strong>" in screen
    assert "screening date 2025-03-14" in screen
    # Codes and billing wait for a physician's "proceed".
    for billing in ("22510", "+22512", "Billing", "Coding note", "Cost and coverage"):
        assert billing not in body
    assert "Pathways that hold" in screen
    assert "All 4 prerequisites hold." in screen


def test_red_flags_and_contraindications_come_first(desk_client, default_set):
    answers = example_answers("ex-stable-two-findings-on-warfarin.json") | {
        "infection_signs": True,
        "cement_allergy": True,
    }
    body = page(desk_client, screened(answers))
    assert "Urgent referral — for physician review now" in body
    assert headings(body)[:4] == [
        "Red flags",
        "Contraindications",
        "Pathways that hold",
        "Cautions",
    ]
    assert "Possible spinal infection." in body
    assert "Reported allergy to bone cement (provisional)." in body


def test_a_conservative_case_says_why_each_pathway_is_not_met_with_values(desk_client, default_set):
    body = screen_part(page(desk_client, screened(example_answers("ex-outpatient-mild-pain.json"))))
    assert "Conservative care suggested — for physician review" in body
    assert "Pathways not met" in body
    assert "Outpatient whose pain is worsening despite documented non-surgical care." in body
    assert (
        "Not met: inpatient: no, pain 4, outpatient minimum 5, non-surgical care documented: "
        "yes, pain trend worsening" in body
    )
    assert "Not met: inpatient: no, pain 4, inpatient minimum 8" in body
    assert "Suggested CPT codes" not in body


def test_a_caution_shows_the_inr_and_its_limit(desk_client, default_set):
    body = page(desk_client, screened(example_answers("ex-stable-two-findings-on-warfarin.json")))
    assert "Values: INR 3.5, limit 1.5" in screen_part(body)


def test_failed_prerequisites_are_listed_with_the_weeks_since_onset(desk_client, default_set):
    answers = example_answers("ex-inpatient-candidate.json") | {
        "symptom_onset_date": "2024-06-01",
        "advanced_imaging_date": "2024-06-10",
    }
    body = screen_part(page(desk_client, screened(answers)))
    assert "Prerequisites not met" in body
    assert "The fracture is chronic" in body
    assert (
        "Not met: cancer at the spine none, weeks since onset 40.86, weeks allowed since onset 12"
        in body
    )


def test_needs_info_lists_the_missing_answers_by_prompt(desk_client, default_set):
    body = page(desk_client, screened(example_answers("ex-pain-score-missing.json")))
    assert "Information needed — to complete before physician review" in body
    assert "Missing answers (1)" in body
    assert "<li>Pain from the fracture, 0 (none) to 10" in body


def test_numbers_are_shown_as_numbers_never_as_yes_or_no(desk_client, default_set):
    """INR 1.0 once read "Yes" and 0 weeks "No": 1 == True in Python."""
    answers = example_answers("ex-outpatient-mild-pain.json") | {
        "inr": 1.0,
        "conservative_weeks": 0,
        "levels_count": 1,
    }
    body = page(desk_client, screened(answers))
    answers_html = body[body.index('id="answers-title"') :]

    def shown(prompt: str) -> str:
        match = re.search(re.escape(prompt) + r'</dt><dd class="[^"]*">([^<]+)', answers_html)
        assert match, prompt
        return match.group(1)

    assert shown("Latest INR") == "1.0"
    assert shown("Weeks of non-surgical care so far") == "0"
    assert shown("Number of fractured levels to treat") == "1"
    assert shown("Spine MRI done") == "Yes"
    assert shown("Spine CT done") == "No"
    assert shown("Latest platelet count, x 10^9/L") == "not answered"


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


def test_physician_reads_the_result(client, default_set):
    intake = screened(example_answers("ex-inpatient-candidate.json"))
    client.force_login(PhysicianFactory())
    body = page(client, intake)
    assert "Appears to meet criteria — awaiting physician review" in body
    assert "Edit answers" not in body


# --------------------------------------------------------------------------------------------
# The decision in force, first


def test_a_refused_patient_never_reads_as_meeting_criteria(desk_client, default_set, doctor):
    """The physician said "not a candidate": that is what the page says first, and no codes."""
    intake = screened(example_answers("ex-inpatient-candidate.json"))
    with time_machine.travel(NOW, tick=False):
        decide(intake, doctor, DecisionKind.NOT_CANDIDATE, reason="Pain is from the hip.")
    body = screen_part(page(desk_client, intake))
    headline = "Physician decision: not a candidate — Rosa Ortiz, 2025-03-14"
    assert headline in body
    assert "Reason: Pain is from the hip." in body
    assert body.index(headline) < body.index("The screener suggested")
    assert "Appears to meet criteria" in body
    assert "awaiting physician review" not in body
    for billing in ("22511", "Billing", "Cost and coverage"):
        assert billing not in body
    assert "Print the patient's handout" in body  # caring for the back without a procedure


def test_after_proceed_the_front_desk_sees_the_date_the_codes_billing_and_the_handout(
    desk_client, default_set, doctor, frozen
):
    intake = screened(example_answers("ex-three-thoracic-levels.json"))
    decide(intake, doctor, DecisionKind.PROCEED, planned_procedure_date=datetime.date(2025, 3, 24))
    body = screen_part(page(desk_client, intake))
    assert "Physician decision: proceed to procedure — Rosa Ortiz, 2025-03-14" in body
    assert "Planned procedure date: <strong>Monday 2025-03-24</strong>." in body
    assert "Print the patient instructions" in body
    codes = re.findall(r'<span class="badge text-bg-light border me-1 fs-6">([^<]+)</span>', body)
    assert codes == ["22510", "+22512", "+22512"]
    # The technique the physician chose (the first, by default) and the set's note on codes.
    assert "Vertebroplasty; provisional until the physician confirms the levels." in body
    assert "Cost and coverage" in body
    assert "Our billing office can give you an estimate before the procedure." in body
    assert "USD" not in body  # the source page's cost figure is gone


def test_22325_appears_only_in_the_note_explaining_the_correction(desk_client, default_set, doctor):
    intake = screened(example_answers("ex-inpatient-candidate.json"))
    decide(intake, doctor, DecisionKind.PROCEED)
    body = screen_part(page(desk_client, intake))
    assert "22325 is open posterior treatment of a lumbar fracture" in body
    assert body.count("22325") == 2  # the note names it twice: what the page said, and why


def test_an_edit_after_the_decision_says_a_new_decision_is_due(desk_client, default_set, doctor):
    intake = screened(example_answers("ex-inpatient-candidate.json"))
    decide(intake, doctor, DecisionKind.PROCEED)
    intake.refresh_from_db()
    intake.status = IntakeStatus.SUBMITTED  # the front desk changed the answers
    intake.save()
    body = screen_part(page(desk_client, intake))
    assert "a new physician decision is due. Do not book on the earlier one." in body
    assert "22511" not in body


# --------------------------------------------------------------------------------------------
# Emergencies


def test_an_emergency_is_red_names_the_oncall_number_and_asks_for_the_action(
    desk_client, default_set
):
    body = screen_part(page(desk_client, screened(example_answers("ex-cauda-equina.json"))))
    assert (
        "EMERGENCY: do not book. Call the on-call spine clinician now on (555) 010-9111, or "
        "send the patient to the emergency department now." in body
    )
    assert 'class="alert alert-danger emergency-banner' in body
    assert "No action is recorded yet." in body
    assert "Record the emergency action" in body
    assert "alert-success" not in body


# --------------------------------------------------------------------------------------------
# Printing


def test_the_printout_has_patient_decision_outcome_every_rule_with_values_and_the_answers(
    desk_client, default_set, doctor, frozen
):
    intake = screened(
        example_answers("ex-outpatient-mild-pain.json"),
        first_name="Ada",
        last_name="Quill",
        mrn="MRN-PRINT-1",
    )
    decide(intake, doctor, DecisionKind.CONSERVATIVE)
    printout = print_part(page(desk_client, intake))
    assert "Quill, Ada" in printout and "MRN MRN-PRINT-1" in printout
    assert "Physician decision: conservative care — Rosa Ortiz, 2025-03-14" in printout
    assert "The screener suggested: Conservative care suggested" in printout
    assert "Printed 2025-03-14 15:00 by Dana Desk" in printout
    assert "criteria set vertebroplasty version 1" in printout
    assert "Rules (49)" in printout
    rules = re.findall(r"<li><strong>(holds|does not hold|met|not met)</strong>", printout)
    assert len(rules) == 49  # every rule, held or not
    assert "[inpatient: no, pain 4, outpatient minimum 5" in printout
    assert "Weeks of non-surgical care so far</th><td>4</td>" in printout
    assert "Latest INR</th><td>not answered</td>" in printout
    assert "EMERGENCY" not in printout  # no red flag: no emergency line


def test_an_emergency_printout_carries_the_emergency_and_the_action_taken(
    desk_client, default_set, frozen
):
    from intake.services.emergencies import emergency_action_record

    intake = screened(example_answers("ex-cauda-equina.json"))
    emergency_action_record(
        intake_id=intake.pk,
        contacted="patient_sent",
        contacted_at=NOW,
        note="Daughter driving her to St Mary's ED now.",
        user=FrontDeskFactory(first_name="Dana", last_name="Desk"),
    )
    printout = print_part(page(desk_client, intake))
    assert "EMERGENCY: do not book." in printout
    assert (
        "Emergency action: Patient told to go to the emergency department now at "
        "2025-03-14 15:00 by Dana Desk: Daughter driving her to St Mary's ED now." in printout
    )
