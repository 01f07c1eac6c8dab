"""Impact preview: a draft against submitted intakes, compared with their current screening."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from intake.history import RuleFlip
from intake.models import Intake, IntakeStatus, Screening
from intake.rescreen.impact import format_report, impact_preview
from intake.rescreen.selectors import latest_submitted_intakes
from screener.services import criteria_set_clone
from tests.plans import plan_when_indexes_are_all_it_has
from tests.screener.helpers import INPATIENT, MILD, WARFARIN, set_parameter, submitted_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(default_set):
    """Three outpatients at NRS 6 (cautions), two inpatients, one mild outpatient, one draft."""
    intakes = {
        "warfarin": [submitted_intake(WARFARIN) for _ in range(3)],
        "inpatient": [submitted_intake(INPATIENT) for _ in range(2)],
        "mild": [submitted_intake(MILD, status=IntakeStatus.INFO_REQUESTED)],
    }
    from tests.factories import IntakeFactory

    IntakeFactory(answers=dict(WARFARIN))  # a draft: never previewed
    return intakes


@pytest.fixture
def threshold_7(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    set_parameter(draft, "nrs_outpatient_min", 7)
    return draft


def test_counts_outcome_changes_and_the_rules_that_flipped(seeded, threshold_7):
    report = impact_preview(criteria_set=threshold_7, limit=500)
    assert report.evaluated == 6
    assert report.changes == [("candidate_with_cautions", "conservative", 3)]
    assert (report.changed, report.unchanged) == (3, 3)
    assert sorted(case.intake_id for case in report.cases) == sorted(
        intake.pk for intake in seeded["warfarin"]
    )
    for case in report.cases:
        assert case.flipped == (
            RuleFlip(
                "pw_outpatient_findings",
                True,
                False,
                message="Outpatient with persistent pain despite non-surgical care and two or "
                "more structural or functional findings.",
            ),
        )


def test_preview_writes_nothing(seeded, threshold_7):
    before = list(Intake.objects.values_list("id", "criteria_set", "outcome", "latest_screening"))
    screenings = Screening.objects.count()
    impact_preview(criteria_set=threshold_7)
    assert Screening.objects.count() == screenings
    assert (
        list(Intake.objects.values_list("id", "criteria_set", "outcome", "latest_screening"))
        == before
    )


def test_each_intake_keeps_its_original_screening_date(default_set):
    """A year later the fracture would be chronic; the preview still screens on the old date."""
    submitted_intake(INPATIENT)
    draft = criteria_set_clone(criteria_set=default_set)
    with time_machine.travel(datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC), tick=False):
        report = impact_preview(criteria_set=draft)
    assert (report.evaluated, report.changed) == (1, 0)


def test_only_the_last_n_submitted_intakes(default_set, threshold_7):
    older = submitted_intake(WARFARIN, as_of=datetime.date(2025, 3, 10))
    newer = submitted_intake(WARFARIN, as_of=datetime.date(2025, 3, 12))
    report = impact_preview(criteria_set=threshold_7, limit=1)
    assert report.evaluated == 1
    assert [case.intake_id for case in report.cases] == [newer.pk]
    assert older.pk not in [case.intake_id for case in report.cases]


def test_answers_the_draft_no_longer_accepts_are_counted(default_set):
    submitted_intake(WARFARIN)
    draft = criteria_set_clone(criteria_set=default_set)
    question = draft.question_set.get(code="inr")
    question.max_value = 3
    question.save()
    report = impact_preview(criteria_set=draft)
    # INR 3.5 is out of the new range: left out (blank), so the INR caution no longer holds.
    assert report.dropped_answers == 1
    assert report.changes == []
    assert "1 intakes have answers this set does not accept" in format_report(report)


def test_text_table_lists_changes_and_flips(seeded, threshold_7):
    text = format_report(impact_preview(criteria_set=threshold_7))
    assert "6 intakes screened under vertebroplasty v2." in text
    assert "from                     to                        intakes" in text
    assert "candidate_with_cautions  conservative                    3" in text
    assert "Outcome changed: 3; unchanged: 3." in text
    first = seeded["warfarin"][0].pk
    assert (
        f"intake {first}: candidate_with_cautions -> conservative: "
        "pw_outpatient_findings: holds -> does not hold"
    ) in text


def test_report_survives_a_json_round_trip(seeded, threshold_7):
    from intake.rescreen.impact import ImpactReport

    report = impact_preview(criteria_set=threshold_7)
    assert ImpactReport.from_dict(report.as_dict()) == report


@pytest.mark.postgres_only
def test_the_latest_submitted_intakes_are_read_in_the_order_of_their_index(default_set):
    """ "The last 500 of a million" reads 500 entries of the partial index, drafts left out of
    it, and sorts nothing."""
    latest = latest_submitted_intakes(procedure=default_set.procedure)[:500]
    plan = plan_when_indexes_are_all_it_has(latest)
    assert "Index Scan using intake_latest_submitted_idx" in plan
    assert "Sort" not in plan
