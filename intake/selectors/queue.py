"""Reads for the physicians' review queue: filters, urgency order, counts per outcome and the
rows a page shows (with each case's key reason and waiting time).

The queue is ordered and filtered in the database (a rank annotation over the outcome copied
onto the intake, then the submission time), so pagination is exact and the page costs the same
few queries whatever the number of intakes. "Now" is an argument: nothing here reads the clock.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import BooleanField, Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from intake.models import Intake, IntakeStatus
from intake.names import person_name
from intake.outcomes import (
    OUTCOME_LABELS,
    DecisionLine,
    decision_line,
    outcome_colour,
    outcome_label,
)
from intake.roles import PHYSICIAN
from intake.selectors.patients import patients_matching
from screener import adapters
from screener.engine.types import Outcome
from screener.models import Procedure

# Urgency first: (outcome, emergency) -> rank; the emergency flag only matters for urgent.
QUEUE_OUTCOME_ORDER: tuple[str, ...] = (
    Outcome.URGENT.value,
    Outcome.CANDIDATE_WITH_CAUTIONS.value,
    Outcome.CANDIDATE.value,
    Outcome.NEEDS_INFO.value,
    Outcome.CONSERVATIVE.value,
    Outcome.CONTRAINDICATED.value,
)

STATUS_ALL = "all"
ASSIGNED_MINE = "mine"
ASSIGNED_NOBODY = "unassigned"


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows. ``status`` is a status value or STATUS_ALL (every non-draft);
    ``assigned`` is "", ASSIGNED_MINE, ASSIGNED_NOBODY or a physician's id as text."""

    outcome: str = ""
    status: str = IntakeStatus.SUBMITTED.value
    procedure: str = ""  # procedure slug
    submitted_from: datetime.date | None = None
    submitted_to: datetime.date | None = None
    assigned: str = ""
    search: str = ""

    def narrowing_count(self) -> int:
        """How many filters narrow the queue from its default (cases waiting for review, any
        outcome, procedure, date or assignee); the patient search is not counted."""
        return sum(
            [
                bool(self.outcome),
                self.status != IntakeStatus.SUBMITTED.value,
                bool(self.procedure),
                self.submitted_from is not None,
                self.submitted_to is not None,
                bool(self.assigned),
            ]
        )


def queue_rank() -> Case:
    """Emergencies nobody has acted on yet, then the other emergencies, then by outcome."""
    whens = [
        When(emergency_open=True, then=Value(0)),
        When(outcome=Outcome.URGENT.value, emergency=True, then=Value(1)),
    ]
    whens += [
        When(outcome=outcome, then=Value(rank))
        for rank, outcome in enumerate(QUEUE_OUTCOME_ORDER, 2)
    ]
    return Case(*whens, default=Value(len(QUEUE_OUTCOME_ORDER) + 2), output_field=IntegerField())


def turnaround_limit(outcome: str) -> datetime.timedelta:
    """How long a case may wait for review before it is highlighted (settings, in hours)."""
    if outcome == Outcome.URGENT.value:
        return datetime.timedelta(hours=settings.REVIEW_TURNAROUND_URGENT_HOURS)
    return datetime.timedelta(hours=settings.REVIEW_TURNAROUND_OTHER_HOURS)


def _overdue(now: datetime.datetime) -> Case:
    waiting = Q(status=IntakeStatus.SUBMITTED, submitted_at__isnull=False)
    urgent = Q(outcome=Outcome.URGENT.value)
    return Case(
        When(
            waiting & urgent & Q(submitted_at__lt=now - turnaround_limit(Outcome.URGENT.value)),
            then=Value(True),
        ),
        When(waiting & ~urgent & Q(submitted_at__lt=now - turnaround_limit("")), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _filtered(filters: QueueFilters, *, user: User, with_outcome: bool) -> QuerySet[Intake]:
    intakes = Intake.objects.exclude(status=IntakeStatus.DRAFT)
    if filters.status and filters.status != STATUS_ALL:
        intakes = intakes.filter(status=filters.status)
    if with_outcome and filters.outcome:
        intakes = intakes.filter(outcome=filters.outcome)
    if filters.procedure:
        intakes = intakes.filter(procedure__slug=filters.procedure)
    if filters.submitted_from:
        intakes = intakes.filter(submitted_at__gte=_day_start(filters.submitted_from))
    if filters.submitted_to:
        next_day = filters.submitted_to + datetime.timedelta(days=1)
        intakes = intakes.filter(submitted_at__lt=_day_start(next_day))
    if filters.assigned == ASSIGNED_MINE:
        intakes = intakes.filter(assigned_to=user)
    elif filters.assigned == ASSIGNED_NOBODY:
        intakes = intakes.filter(assigned_to__isnull=True)
    elif filters.assigned.isdigit():
        intakes = intakes.filter(assigned_to_id=int(filters.assigned))
    if filters.search.strip():
        # The patient list's search (typos, part of an MRN), as a subquery: still one query.
        intakes = intakes.filter(patient__in=patients_matching(search=filters.search))
    return intakes


def queue_intakes(*, filters: QueueFilters, user: User, now: datetime.datetime) -> QuerySet[Intake]:
    """The filtered queue, urgency first, oldest submission first within each outcome."""
    return (
        _filtered(filters, user=user, with_outcome=True)
        .select_related(
            "patient",
            "procedure",
            "assigned_to",
            "latest_screening",
            "current_decision__physician",
        )
        # The stored key reason says why: the rules' results are not read per row.
        .defer("answers", "latest_screening__answers", "latest_screening__rule_results")
        .annotate(queue_rank=queue_rank(), overdue=_overdue(now))
        .order_by("queue_rank", "submitted_at", "id")
    )


@dataclass(frozen=True)
class OutcomeCount:
    outcome: str
    label: str
    colour: str
    count: int
    emergency_count: int = 0


def queue_counts(*, filters: QueueFilters, user: User) -> list[OutcomeCount]:
    """Cases per outcome under every filter but the outcome (one query), in queue order."""
    aggregates: dict[str, Any] = {
        outcome: Count("id", filter=Q(outcome=outcome)) for outcome in QUEUE_OUTCOME_ORDER
    }
    aggregates["emergency"] = Count("id", filter=Q(outcome=Outcome.URGENT.value, emergency=True))
    totals = _filtered(filters, user=user, with_outcome=False).aggregate(**aggregates)
    return [
        OutcomeCount(
            outcome=outcome,
            label=OUTCOME_LABELS[outcome],
            colour=outcome_colour(outcome),
            count=totals[outcome],
            emergency_count=totals["emergency"] if outcome == Outcome.URGENT.value else 0,
        )
        for outcome in QUEUE_OUTCOME_ORDER
    ]


def waiting_text(waited: datetime.timedelta) -> str:
    minutes = max(int(waited.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"


@dataclass(frozen=True)
class QueueRow:
    intake_id: int
    patient_name: str
    mrn: str
    age: int
    procedure: str
    status: str
    status_label: str
    outcome: str
    outcome_label: str
    outcome_colour: str
    emergency: bool
    emergency_open: bool  # no action recorded yet
    key_reason: str
    submitted_at: datetime.datetime | None
    waited: datetime.timedelta | None
    waiting_text: str
    overdue: bool
    assigned_to_id: int | None
    assigned_to: str
    decision: DecisionLine | None  # the decision in force, shown before the suggestion


def queue_rows(intakes: Iterable[Intake], *, now: datetime.datetime) -> list[QueueRow]:
    """What each queue row shows, from intakes of ``queue_intakes`` (no further query): the
    key reason is the one the engine gave and the screening stored."""
    today = timezone.localdate(now)
    rows = []
    for intake in intakes:
        screening = intake.latest_screening
        reason = screening.key_reason if screening is not None else ""
        decision = intake.decision_in_force
        waited = now - intake.submitted_at if intake.submitted_at else None
        if waited is not None and decision is not None:
            waited = decision.signed_at - intake.submitted_at  # the wait ended with the decision
        rows.append(
            QueueRow(
                intake_id=intake.pk,
                patient_name=f"{intake.patient.last_name}, {intake.patient.first_name}",
                mrn=intake.patient.mrn,
                age=adapters.age_on(intake.patient.date_of_birth, today),
                procedure=intake.procedure.name,
                status=intake.status,
                status_label=intake.get_status_display(),
                outcome=intake.outcome,
                outcome_label=outcome_label(
                    intake.outcome, emergency=intake.emergency, decided=decision is not None
                ),
                outcome_colour=outcome_colour(intake.outcome),
                emergency=intake.emergency,
                emergency_open=intake.emergency_open,
                key_reason=reason,
                submitted_at=intake.submitted_at,
                waited=waited,
                waiting_text=waiting_text(waited) if waited is not None else "",
                overdue=bool(getattr(intake, "overdue", False)),
                assigned_to_id=intake.assigned_to_id,
                assigned_to=person_name(intake.assigned_to),
                decision=decision_line(decision) if decision is not None else None,
            )
        )
    return rows


def review_procedures() -> list[Procedure]:
    return list(Procedure.objects.order_by("name"))


def review_physicians() -> list[User]:
    """Active users with the Physician role, for assignment and the assigned filter."""
    return list(
        User.objects.filter(groups__name=PHYSICIAN, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
