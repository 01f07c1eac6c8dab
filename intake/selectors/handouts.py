"""Content shown around a case, and the patient's printed handout for the decision in force.

What a page shows comes from the criteria set's content blocks (``screener.content``): the
physician's case view shows the physicians' blocks for the suggested outcome and for the
decision in force; the front desk's result page shows the staff blocks of the decision in force
only (billing information appears after "proceed"); a patient's handout shows the patients'
blocks of the decision in force, with the clinic's details and, after "proceed", the planned
date and the follow-up visits.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from intake.models import Decision, DecisionKind, Intake, IntakeStatus, Screening
from intake.outcomes import DecisionLine, decision_line
from intake.selectors import codes
from screener import adapters
from screener.content import ContentSection, decision_moment, onset_question, sections_for
from screener.models import ContentReader, CriteriaSet
from screener.models import FollowUpVisit as ScheduledVisit

# --------------------------------------------------------------------------------------------
# Content blocks of a case


def screening_onset(screening: Screening | None, spec) -> datetime.date | None:
    """The onset date the screening read (for placeholders such as the procedure window): the
    answer to the date question the set counts weeks since (``content.onset_question``)."""
    code = onset_question(spec)
    text = screening.answers.get(code) if screening is not None and code else None
    try:
        return datetime.date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def case_moments(*, outcome: str | None = None, decision: Decision | None = None) -> set[str]:
    """The ``shown_with`` tokens of a case: its suggested outcome and its decision in force."""
    moments = {outcome} if outcome else set()
    if decision is not None:
        moments.add(decision_moment(decision.kind))
    return moments


def content_sections(
    *,
    criteria_set: CriteriaSet,
    reader: str,
    moments: set[str],
    screening: Screening | None = None,
) -> list[ContentSection]:
    """The set's blocks for one reader at these moments, filled in (one query)."""
    if not moments:
        return []
    compiled = adapters.compiled_criteria(criteria_set)
    return sections_for(
        criteria_set.contentblock_set.all(),
        reader=reader,
        moments=moments,
        parameters=compiled.parameters,
        onset=screening_onset(screening, compiled.spec),
    )


# --------------------------------------------------------------------------------------------
# Follow-up dates


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the end of a shorter month (31 Jan + 1 month
    is 28 or 29 Feb)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def nearest_weekday(day: datetime.date) -> datetime.date:
    """Clinics see patients on weekdays: a Saturday moves to the Friday, a Sunday to the
    Monday."""
    if day.weekday() == calendar.SATURDAY:
        return day - datetime.timedelta(days=1)
    if day.weekday() == calendar.SUNDAY:
        return day + datetime.timedelta(days=1)
    return day


@dataclass(frozen=True)
class FollowUpVisit:
    label: str
    due: datetime.date


def follow_up_visits(
    planned: datetime.date, schedule: Iterable[ScheduledVisit]
) -> list[FollowUpVisit]:
    """The criteria set's follow-up visits after a procedure on ``planned``: each its days and
    months later (the same day of the month, clamped), on the nearest weekday."""
    return [
        FollowUpVisit(
            visit.label,
            nearest_weekday(
                add_months(planned, visit.months) + datetime.timedelta(days=visit.days)
            ),
        )
        for visit in schedule
    ]


# --------------------------------------------------------------------------------------------
# The patient's handout


@dataclass(frozen=True)
class Clinic:
    """The clinic's details from settings, as handouts print them."""

    name: str
    phone: str
    address: str
    oncall_phone: str


def clinic_details() -> Clinic:
    return Clinic(
        name=settings.CLINIC_NAME,
        phone=settings.CLINIC_PHONE,
        address=settings.CLINIC_ADDRESS,
        oncall_phone=settings.ONCALL_PHONE,
    )


@dataclass
class Handout:
    intake: Intake
    decision: Decision
    decision_line: DecisionLine
    planned_date: datetime.date | None
    visits: list[FollowUpVisit]
    sections: list[ContentSection]
    clinic: Clinic
    technique: str = ""  # with "proceed": the technique the physician chose, as the set names it

    @property
    def proceed(self) -> bool:
        return self.decision.kind == DecisionKind.PROCEED


def has_handout(*, intake: Intake) -> bool:
    """Whether ``patient_handout`` has something to print for the intake: it is decided and
    its decision in force has patient blocks in the latest screening's set (one query)."""
    in_force = intake.decision_in_force
    screening = intake.latest_screening
    if in_force is None or screening is None or intake.status != IntakeStatus.DECIDED:
        return False
    return bool(
        content_sections(
            criteria_set=screening.criteria_set,
            reader=ContentReader.PATIENT,
            moments=case_moments(decision=in_force),
        )
    )


def handout_intake(intake_id: int) -> Intake | None:
    return (
        Intake.objects.select_related(
            "patient",
            "procedure",
            "latest_screening__criteria_set",
            "current_decision__physician",
        )
        .filter(pk=intake_id, status=IntakeStatus.DECIDED, latest_screening__isnull=False)
        .first()
    )


def patient_handout(*, intake_id: int) -> Handout | None:
    """The handout of the decision in force, or None when the decision has no patient blocks
    in the criteria set (a referral, a request for information) or no decision is in force."""
    intake = handout_intake(intake_id)
    if intake is None or intake.decision_in_force is None:
        return None
    decision = intake.decision_in_force
    screening = intake.latest_screening
    assert screening is not None
    sections = content_sections(
        criteria_set=screening.criteria_set,
        reader=ContentReader.PATIENT,
        moments=case_moments(decision=decision),
        screening=screening,
    )
    if not sections:
        return None
    planned = decision.planned_procedure_date
    return Handout(
        intake=intake,
        decision=decision,
        decision_line=decision_line(decision),
        planned_date=planned,
        visits=(
            follow_up_visits(planned, screening.criteria_set.followupvisit_set.all())
            if planned
            else []
        ),
        sections=sections,
        clinic=clinic_details(),
        technique=codes.technique_label(screening, decision)
        if decision.kind == DecisionKind.PROCEED
        else "",
    )
