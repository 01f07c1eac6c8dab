"""Submitted intakes for review tests, built directly (the front desk's forms are not needed)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from intake.models import Intake, IntakeStatus, Screening, ScreeningKind
from intake.services.screenings import screening_record
from tests.criteria_data import example
from tests.factories import IntakeFactory

AS_OF = datetime.date(2025, 3, 14)

# One example case per outcome (the shared example files), emergency included.
EXAMPLE_BY_OUTCOME = {
    "emergency": "ex-cauda-equina.json",
    "urgent": "ex-fever.json",
    "candidate_with_cautions": "ex-stable-two-findings-on-warfarin.json",
    "candidate": "ex-inpatient-candidate.json",
    "needs_info": "ex-pain-score-missing.json",
    "conservative": "ex-outpatient-mild-pain.json",
}


def answers_for(outcome: str, **changes: Any) -> dict[str, Any]:
    """Answers that screen to ``outcome`` on AS_OF ("emergency": urgent with an emergency)."""
    if outcome == "contraindicated":
        answers = example("ex-inpatient-candidate.json")["answers"]
        answers["cement_allergy"] = True
    else:
        answers = example(EXAMPLE_BY_OUTCOME[outcome])["answers"]
    answers.update(changes)
    return answers


def submitted_intake(
    *,
    outcome: str = "candidate",
    answers: dict[str, Any] | None = None,
    submitted_at: datetime.datetime | None = None,
    as_of: datetime.date = AS_OF,
    **intake_fields: Any,
) -> Intake:
    """A submitted intake with one submission screening (answers from ``outcome`` by default)."""
    intake = IntakeFactory(
        answers=answers if answers is not None else answers_for(outcome), **intake_fields
    )
    screening_record(intake=intake, as_of=as_of, kind=ScreeningKind.SUBMISSION)
    intake.status = IntakeStatus.SUBMITTED
    intake.submitted_at = submitted_at or timezone.now()
    intake.save(update_fields=["status", "submitted_at"])
    return intake


def rescreen(
    intake: Intake,
    *,
    kind: str = ScreeningKind.EDIT,
    as_of: datetime.date = AS_OF,
    status: str = IntakeStatus.SUBMITTED,
    **changes: Any,
) -> Screening:
    """Change answers (if any) and screen again, as the front desk or a criteria admin would."""
    intake.answers = {**intake.answers, **changes}
    intake.save(update_fields=["answers"])
    screening = screening_record(intake=intake, as_of=as_of, kind=kind)
    intake.status = status
    intake.save(update_fields=["status"])
    return screening


def proceeding_intake(physician: Any, *, planned_in_days: int = 10) -> Intake:
    """A candidate the physician decided to proceed with, planned ``planned_in_days`` from today."""
    from intake.models import DecisionKind
    from intake.services import reviews

    intake = submitted_intake(outcome="candidate")
    reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.PROCEED,
        physician=physician,
        planned_procedure_date=timezone.localdate() + datetime.timedelta(days=planned_in_days),
    )
    return intake
