"""Submitted intakes for criteria tests, built directly (no front-desk views)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from intake.models import Intake, IntakeStatus, ScreeningKind
from intake.services.screenings import screening_record
from screener.models import CriteriaSet, Parameter
from tests.criteria_data import AS_OF, example
from tests.factories import IntakeFactory

INPATIENT = example("ex-inpatient-candidate.json")["answers"]
WARFARIN = example("ex-stable-two-findings-on-warfarin.json")["answers"]  # outpatient NRS 6
MILD = example("ex-outpatient-mild-pain.json")["answers"]  # outpatient NRS 4


def submitted_intake(
    answers: dict[str, Any],
    *,
    as_of: datetime.date = AS_OF,
    criteria_set: CriteriaSet | None = None,
    status: str = IntakeStatus.SUBMITTED,
    submitted_at: datetime.datetime | None = None,
) -> Intake:
    """An intake screened on ``as_of`` under its set (the default one unless given)."""
    extra = {"criteria_set": criteria_set} if criteria_set is not None else {}
    intake = IntakeFactory(
        answers=dict(answers),
        status=status,
        submitted_at=submitted_at
        or timezone.make_aware(datetime.datetime.combine(as_of, datetime.time(9))),
        **extra,
    )
    screening_record(intake=intake, as_of=as_of, kind=ScreeningKind.SUBMISSION)
    intake.refresh_from_db()
    return intake


def set_parameter(criteria_set: CriteriaSet, name: str, value: Any) -> None:
    parameter = Parameter.objects.get(criteria_set=criteria_set, name=name)
    parameter.value = value
    parameter.save()
