"""The case view: patient, answers by section, every rule by effect, missing answers, codes,
and the history of screenings with what changed between them."""

from __future__ import annotations

import datetime
import html
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from intake.models import DecisionKind, IntakeStatus, ScreeningKind
from intake.services import reviews
from intake.services.screenings import screening_record
from screener.models import CriteriaSetStatus, Rule
from screener.services import criteria_set_clone
from tests.factories import FrontDeskFactory, IntakeFactory, PhysicianFactory
from tests.intake.review.factories import AS_OF, rescreen, submitted_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc(client):
    user = PhysicianFactory()
    client.force_login(user)
    return user


def open_case(client, intake):
    response = client.get(reverse("review:case", args=[intake.pk]))
    assert response.status_code == 200
    return response, html.unescape(response.content.decode())


def test_case_shows_patient_outcome_answers_and_rules(client, doc, default_set):
    intake = submitted_intake(outcome="candidate_with_cautions")
    response, page = open_case(client, intake)
    patient = intake.patient
    assert f"{patient.last_name}, {patient.first_name}" in page
    assert f"MRN {patient.mrn}" in page
    assert "Appears to meet criteria, cautions to review — awaiting physician review" in page
    assert "under criteria version 1" in page
    case = response.context["case"]
    assert [s.title for s in case.answer_sections] == [
        "Setting",
        "Fracture and imaging",
        "Pain and function",
        "Conservative care so far",
        "Red flags",
        "Bone health and risk factors",
        "Medicines, blood tests, allergies and procedure fitness",
    ]
    anticoagulant = next(
        item
        for section in case.answer_sections
        for item in section.items
        if item.code == "anticoagulant"
    )
    assert (anticoagulant.text, anticoagulant.answered) == ("Yes", True)
    assert [g.title for g in case.rule_groups] == [
        "Red flags",
        "Contraindications",
        "Information needed",
        "Prerequisites",
        "Pathways",
        "Cautions",
        "Documentation to do",
    ]
    assert sum(len(g.rules) for g in case.rule_groups) == 49
    cautions = next(g for g in case.rule_groups if g.effect == "caution")
    holding = [r.code for r in cautions.rules if r.holds]
    assert "ca_anticoagulant" in holding
    assert cautions.deciding == len(holding)
    assert cautions.deciding_text == f"{len(holding)} holding"
    prerequisites = next(g for g in case.rule_groups if g.effect == "prerequisite")
    assert (prerequisites.deciding, prerequisites.deciding_text) == (0, "")
    assert {r.state for r in prerequisites.rules} == {"met"}
    # Beside the decision: what the studies show, for the shared decision (no alternatives).
    assert [s.kind for s in case.guidance] == ["evidence_summary", "complications", "coding_note"]
    assert "VERTOS IV (2018) found no benefit over a sham procedure" in page
    assert "Takes an anticoagulant." in page
    inr = next(r for g in case.rule_groups for r in g.rules if r.code == "ca_inr_high")
    assert inr.values == "INR 3.5, limit 1.5"
    assert "Values: INR 3.5, limit 1.5" in page
    assert "ASRA, SIR 2019" in page  # the rule's source


def test_rules_that_name_a_blank_required_question_say_so(client, doc, default_set):
    intake = submitted_intake(outcome="needs_info")  # the pain score is blank
    response, page = open_case(client, intake)
    case = response.context["case"]
    prompt = (
        "Pain from the fracture, 0 (none) to 10 (worst imaginable), average over the last 24 hours"
    )
    assert case.missing == [("pain_nrs", prompt)]
    assert "Missing required answers (1)" in page
    depending = [
        rule.code for group in case.rule_groups for rule in group.rules if rule.needs == (prompt,)
    ]
    assert "ci_asymptomatic" in depending
    assert f"Depends on missing answers: {prompt}" in page
    pain = next(
        item
        for section in case.answer_sections
        for item in section.items
        if item.code == "pain_nrs"
    )
    assert (pain.text, pain.missing) == ("not answered", True)


def test_suggested_codes_are_labelled_provisional(client, doc, default_set):
    intake = submitted_intake(outcome="candidate")
    _response, page = open_case(client, intake)
    assert "22511" in page
    assert "if vertebroplasty; provisional until the physician confirms the levels" in page
    assert "The screener suggests: <strong>Proceed to procedure</strong>" in page


def test_an_emergency_is_announced_at_the_top(client, doc, default_set):
    intake = submitted_intake(outcome="emergency")
    _response, page = open_case(client, intake)
    assert (
        "EMERGENCY: do not book. Call the on-call spine clinician now on (555) 010-9111, or "
        "send the patient to the emergency department now." in page
    )
    screen = page[page.index('<div class="d-print-none">') :]  # after the print-only summary
    assert screen.index("EMERGENCY: do not book") < screen.index("Red flags")


def test_history_shows_answers_and_rules_that_changed(client, doc, default_set):
    intake = submitted_intake(outcome="needs_info")
    rescreen(intake, pain_nrs=8)
    response, page = open_case(client, intake)
    history = response.context["case"].history
    assert [(e.number, e.kind_text, e.is_latest) for e in history] == [
        (2, "Edited and resubmitted", True),
        (1, "Submitted", False),
    ]
    latest = history[0]
    assert latest.diff.outcome == ("needs_info", "candidate")
    assert [(c.before, c.after) for c in latest.answer_changes] == [("not answered", "8")]
    assert latest.diff.criteria_version is None
    flips = {f.code: f.change_text for f in latest.diff.rules}
    assert flips["pw_inpatient"] == "now holds"
    assert (
        "Answer changed: Pain from the fracture, 0 (none) to 10 (worst imaginable), average over "
        "the last 24 hours: not answered → 8" in page
    )
    assert "Outcome: Information needed → Appears to meet criteria" in page
    assert "Rule now holds: Hospital inpatient with severe pain from the fracture." in page


def _version_two(default_set):
    """A newer published version with one more caution, as a criteria admin would publish."""
    draft = criteria_set_clone(criteria_set=default_set)
    Rule.objects.create(
        criteria_set=draft,
        code="ca_inpatient_review",
        effect="caution",
        condition="hospitalized",
        message="Inpatient: confirm the ward can take the patient back the same day.",
        source="Local policy",
        order=999,
    )
    draft.status = CriteriaSetStatus.PUBLISHED
    draft.published_at = timezone.now()
    draft.save()
    return draft


def test_a_rescreen_under_new_criteria_is_made_visible(client, doc, default_set):
    intake = submitted_intake(outcome="candidate")
    v2 = _version_two(default_set)
    screening_record(
        intake=intake,
        as_of=AS_OF,
        kind=ScreeningKind.RESCREEN,
        criteria_set=v2,
        reason="Version 2 adds an inpatient caution.",
    )
    response, page = open_case(client, intake)
    latest = response.context["case"].history[0]
    assert latest.kind_text == "Re-screened under new criteria"
    assert latest.diff.criteria_version == (1, 2)
    assert latest.diff.answers == ()
    assert [(f.code, f.change_text) for f in latest.diff.rules] == [
        ("ca_inpatient_review", "new rule, holds")
    ]
    assert "Criteria changed: version 1 → version 2" in page
    assert "Reason: Version 2 adds an inpatient caution." in page
    assert "under criteria version 2" in page
    assert "Appears to meet criteria, cautions to review — awaiting physician review" in page


def test_a_rescreen_after_the_decision_is_flagged_on_the_decision(client, doc, default_set):
    intake = submitted_intake(outcome="candidate")
    reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.PROCEED,
        physician=doc,
    )
    _response, page = open_case(client, intake)
    assert "screened again after the decision in force" not in page
    v2 = _version_two(default_set)
    screening_record(intake=intake, as_of=AS_OF, kind=ScreeningKind.RESCREEN, criteria_set=v2)
    response, page = open_case(client, intake)
    assert "This case was screened again after the decision in force was signed" in page
    assert response.context["amend_form"].initial["screening"] == intake.latest_screening_id


def test_conservative_cases_show_the_alternatives(client, doc, default_set):
    intake = submitted_intake(outcome="conservative")
    response, page = open_case(client, intake)
    guidance = response.context["case"].guidance
    assert [(s.kind, s.title) for s in guidance] == [
        ("conservative_alternatives", "Conservative alternatives")
    ]
    assert "Pain relief with acetaminophen (paracetamol) first." in page


def test_a_screening_without_changes_says_so(client, doc, default_set):
    intake = submitted_intake(outcome="candidate")
    rescreen(intake)
    _response, page = open_case(client, intake)
    assert "Nothing changed since screening #1." in page


def test_the_preparation_checklist_waits_for_a_proceed_decision(client, doc, default_set):
    intake = submitted_intake(outcome="candidate")
    _response, page = open_case(client, intake)
    assert "Bring a list of all your medicines." not in page


def test_drafts_and_unknown_intakes_are_not_found(client, doc, default_set):
    draft = IntakeFactory()
    assert client.get(reverse("review:case", args=[draft.pk])).status_code == 404
    assert client.get(reverse("review:case", args=[99999])).status_code == 404


def test_decided_and_returned_cases_stay_viewable(client, doc, default_set):
    intake = submitted_intake(outcome="needs_info")
    intake.status = IntakeStatus.INFO_REQUESTED
    intake.save()
    response, _page = open_case(client, intake)
    assert response.context["decide_form"] is None


def test_front_desk_cannot_open_a_case(client, default_set):
    intake = submitted_intake(outcome="candidate")
    client.force_login(FrontDeskFactory())
    assert client.get(reverse("review:case", args=[intake.pk])).status_code == 403


def test_case_page_query_count_is_bounded(client, doc, default_set, django_assert_max_num_queries):
    intake = submitted_intake(outcome="needs_info")
    for pain in (6, 7, 8):
        rescreen(intake, pain_nrs=pain)
    # 16, the documents (one query), the authorization packet (one query), the patient-reported
    # red flags (every full staff page)
    with django_assert_max_num_queries(19):
        client.get(reverse("review:case", args=[intake.pk]))


@pytest.mark.parametrize(("today", "age"), [("2025-05-01", 77), ("2025-05-02", 78)])
def test_age_is_shown_as_of_today(client, doc, default_set, today, age):
    """The patient (born 2 May 1947) turns 78 on 2 May 2025."""
    intake = submitted_intake(outcome="candidate")
    with time_machine.travel(datetime.datetime.fromisoformat(f"{today}T12:00Z"), tick=False):
        response, page = open_case(client, intake)
    assert response.context["case"].patient_age == age
    assert f"born 02 May 1947 ({age} years)" in page


def test_the_printed_case_has_decision_outcome_every_rule_with_values_and_the_answers(
    client, doc, default_set
):
    """The printed case once had empty "Rules" and "Answers" headings (folded details)."""
    intake = submitted_intake(outcome="candidate_with_cautions")
    with time_machine.travel(datetime.datetime(2025, 3, 14, 16, 30, tzinfo=datetime.UTC)):
        reviews.review_decide(
            intake=intake,
            screening_id=intake.latest_screening_id,
            kind=DecisionKind.PROCEED,
            physician=doc,
        )
        _response, page = open_case(client, intake)
    start = page.index('<div class="print-summary d-none d-print-block">')
    printout = page[start : page.index('<div class="d-print-none">')]
    patient = intake.patient
    assert f"{patient.last_name}, {patient.first_name}" in printout
    assert f"MRN {patient.mrn}" in printout
    assert (
        f"Physician decision: proceed to procedure — {doc.get_full_name()}, 2025-03-14" in printout
    )
    assert "The screener suggested: Appears to meet criteria, cautions to review" in printout
    assert f"Printed 2025-03-14 16:30 by {doc.get_full_name()}" in printout
    assert "criteria set vertebroplasty version 1" in printout
    assert (
        len(re.findall(r"<li><strong>(?:holds|does not hold|met|not met)</strong>", printout)) == 49
    )
    assert "Takes an anticoagulant." in printout and "[INR 3.5, limit 1.5]" in printout
    assert "Latest INR</th><td>3.5</td>" in printout
    assert "d-print-none" not in printout


def test_the_case_says_why_with_the_rules_that_decided_the_outcome(client, default_set):
    """The key reason and the deciding rules come from the screening as stored, not derived
    again by the page."""
    from intake.models import Screening

    intake = submitted_intake(outcome="contraindicated")
    client.force_login(PhysicianFactory())
    page = html.unescape(client.get(reverse("review:case", args=[intake.pk])).content.decode())
    screening = Screening.objects.get(pk=intake.latest_screening_id)
    assert screening.deciding == ["ci_cement_allergy"]
    assert f"Why: {screening.key_reason}" in " ".join(page.split()).replace("<strong>", "").replace(
        "</strong>", ""
    )
    assert page.count("decided the outcome") == 1
