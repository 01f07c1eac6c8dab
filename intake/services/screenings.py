"""Recording a screening: evaluate an intake's answers and store the whole result."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import transaction

from intake.models import Intake, Screening, ScreeningKind
from intake.services.emergencies import emergency_still_open
from screener import adapters
from screener.models import CriteriaSet


@transaction.atomic
def screening_record(
    *,
    intake: Intake,
    as_of: datetime.date,
    kind: ScreeningKind,
    reason: str = "",
    user: User | None = None,
    criteria_set: CriteriaSet | None = None,
) -> Screening:
    """Screen the intake's answers under its pinned set (or ``criteria_set``) and store it.

    The intake's latest-screening fields are updated too; the caller owns the status change.
    """
    criteria_set = criteria_set or intake.criteria_set
    result, screened = adapters.screen_answers(
        criteria_set,
        intake.answers,
        as_of=as_of,
        patient=adapters.PatientRecord(
            date_of_birth=intake.patient.date_of_birth, sex=intake.patient.sex
        ),
    )
    screening = Screening(
        intake=intake,
        criteria_set=criteria_set,
        kind=kind,
        reason=reason,
        as_of=as_of,
        answers=screened,
        **adapters.stored_result(result),
        created_by=user,
    )
    screening.full_clean()
    screening.save()
    intake.emergency_open = emergency_still_open(
        was_emergency=intake.latest_screening_id is not None and intake.emergency,
        was_open=intake.emergency_open,
        now_emergency=screening.emergency,
    )
    intake.latest_screening = screening
    intake.outcome = screening.outcome
    intake.emergency = screening.emergency
    intake.save(
        update_fields=["latest_screening", "outcome", "emergency", "emergency_open", "updated_at"]
    )
    return screening
