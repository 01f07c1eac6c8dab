"""Reads for the physicians' review queue: filters, urgency order, counts per outcome, the page
asked for and the rows it shows (with each case's key reason and waiting time).

The queue is ordered and filtered in the database, on the urgency rank stored in each intake
(``Intake.queue_rank``), then the submission time and the id: indexes hold that order, so a
page reads an index range instead of sorting the table. The counts per outcome come from the
counters the database keeps (``QueueCount``) unless a date, assignee or search filter narrows
the queue; the page total comes from the same counts. Next and previous pages continue from an
intake's place in the order (keyset); a page number alone (a bookmark, the last page) skips
rows in the index only. The page costs the same few queries whatever the number of intakes.
"Now" is an argument: nothing here reads the clock.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import BooleanField, Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.fields.tuple_lookups import (
    Tuple,
    TupleGreaterThan,
    TupleLessThan,
    TupleLookupMixin,
)
from django.utils import timezone

from intake.models import QUEUE_OUTCOME_ORDER, Intake, IntakeStatus, QueueCount
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

    def counted_by_the_database(self) -> bool:
        """Whether the counters answer for these filters: status, procedure and outcome only."""
        return not (
            self.submitted_from or self.submitted_to or self.assigned or self.search.strip()
        )


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
    """The filtered queue, urgency first, oldest submission first within each outcome: ordered
    by (queue_rank, submitted_at, id), the key the queue's indexes hold."""
    return (
        _filtered(filters, user=user, with_outcome=True)
        .select_related(
            "patient",
            "procedure",
            "assigned_to",
            "latest_screening",
            "current_decision__physician",
        )
        # The stored key reason says why: the answers and the rules' results are not read.
        .defer(
            "answers",
            "latest_screening__answers",
            "latest_screening__rule_results",
            "latest_screening__missing",
            "latest_screening__deciding",
            "latest_screening__suggested_codes",
        )
        .annotate(overdue=_overdue(now))
        .order_by(*QUEUE_KEY)
    )


QUEUE_KEY = ("queue_rank", "submitted_at", "id")


@dataclass(frozen=True)
class OutcomeCount:
    outcome: str
    label: str
    colour: str
    count: int
    emergency_count: int = 0


@dataclass(frozen=True)
class QueueCounts:
    """The cases per outcome under every filter but the outcome, in queue order (the tabs), and
    how many cases the queue shows under every filter (the pages' total)."""

    outcomes: list[OutcomeCount]
    total: int


def queue_counts(*, filters: QueueFilters, user: User) -> QueueCounts:
    """One query: the database's counters when only the status, procedure or outcome filter
    the queue, otherwise a count of the filtered rows (dates, assignee and search narrow it)."""
    if filters.counted_by_the_database():
        counters = QueueCount.objects.exclude(status=IntakeStatus.DRAFT)
        if filters.status and filters.status != STATUS_ALL:
            counters = counters.filter(status=filters.status)
        if filters.procedure:
            counters = counters.filter(procedure__slug=filters.procedure)
        groups = counters.values("outcome", "emergency").annotate(cases=Sum("count"))
        per_group = {(g["outcome"], g["emergency"]): g["cases"] for g in groups}
    else:
        rows = _filtered(filters, user=user, with_outcome=False)
        groups = rows.values("outcome", "emergency").annotate(cases=Count("id")).order_by()
        per_group = {(g["outcome"], g["emergency"]): g["cases"] for g in groups}
    per_outcome: dict[str, int] = {}
    for (outcome, _emergency), cases in per_group.items():
        per_outcome[outcome] = per_outcome.get(outcome, 0) + cases
    outcomes = [
        OutcomeCount(
            outcome=outcome,
            label=OUTCOME_LABELS[outcome],
            colour=outcome_colour(outcome),
            count=per_outcome.get(outcome, 0),
            emergency_count=(
                per_group.get((outcome, True), 0) if outcome == Outcome.URGENT.value else 0
            ),
        )
        for outcome in QUEUE_OUTCOME_ORDER
    ]
    # Without an outcome filter, outcomes outside the tabs (none yet) are in the total too.
    total = per_outcome.get(filters.outcome, 0) if filters.outcome else sum(per_outcome.values())
    return QueueCounts(outcomes=outcomes, total=total)


# --------------------------------------------------------------------------------------------
# Pages


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue. ``first_id`` and ``last_id`` are the cursors of the previous and
    next pages: opaque intake ids, the only thing a page link carries besides its number."""

    intakes: list[Intake]
    number: int
    num_pages: int
    count: int
    has_previous: bool
    has_next: bool

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def first_id(self) -> int | None:
        return self.intakes[0].pk if self.intakes else None

    @property
    def last_id(self) -> int | None:
        return self.intakes[-1].pk if self.intakes else None


class _RowAfter(TupleGreaterThan):
    """``(a, b, c) > (x, y, z)`` as a row comparison on SQLite too: it has row values (3.15+)
    and reads them as an index range, where Django's fallback (ORs) scans from the start."""

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return super(TupleLookupMixin, self).as_sql(compiler, connection)


class _RowBefore(TupleLessThan):
    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return super(TupleLookupMixin, self).as_sql(compiler, connection)


def _key_columns() -> Tuple:
    return Tuple(*(F(name) for name in QUEUE_KEY))


def intakes_after(intakes: QuerySet[Intake], key: tuple) -> QuerySet[Intake]:
    """The queue after the place ``key`` (a ``QUEUE_KEY`` value), in order: a row comparison
    the queue's indexes read as a range."""
    return intakes.filter(_RowAfter(_key_columns(), key))


def intakes_before(intakes: QuerySet[Intake], key: tuple) -> QuerySet[Intake]:
    """The queue before the place ``key``, nearest first (the index read backwards)."""
    return intakes.filter(_RowBefore(_key_columns(), key)).order_by(
        *(f"-{name}" for name in QUEUE_KEY)
    )


def queue_page(
    intakes: QuerySet[Intake],
    *,
    total: int,
    size: int,
    number: int | None = None,
    after: int | None = None,
    before: int | None = None,
) -> QueuePage:
    """The page of ``intakes`` (ordered by ``QUEUE_KEY``) asked for, ``total`` rows in all.

    ``after`` / ``before``: the page that follows / precedes that intake's place in the order,
    read as an index range from its key (``number`` is then only what the page is called).
    Without a cursor, or when the cursor's intake is gone, page ``number`` (clamped, as
    Django's ``Paginator.get_page``) by an offset over the ids only, then those rows.
    """
    num_pages = max(math.ceil(total / size), 1)
    number = min(max(number or 1, 1), num_pages)
    cursor = after if after is not None else before
    key = None
    if cursor is not None and number > 1:
        key = Intake.objects.filter(pk=cursor).values_list(*QUEUE_KEY).first()
    if key is not None and key[1] is not None:  # no submission time: no place in the order
        if after is not None:
            rows = list(intakes_after(intakes, key)[: size + 1])
            if rows:
                return QueuePage(
                    intakes=rows[:size],
                    number=number,
                    num_pages=max(num_pages, number + (len(rows) > size)),
                    count=total,
                    has_previous=True,
                    has_next=len(rows) > size,
                )
        else:
            rows = list(intakes_before(intakes, key)[:size])
            if len(rows) == size:  # fewer: the queue moved; show its first page instead
                return QueuePage(
                    intakes=rows[::-1],
                    number=number,
                    num_pages=num_pages,
                    count=total,
                    has_previous=number > 1,
                    has_next=True,
                )
            number = 1
    offset = (number - 1) * size
    if offset:
        ids = list(intakes.values_list("id", flat=True)[offset : offset + size])
        rows = list(intakes.filter(pk__in=ids))
    else:
        rows = list(intakes[:size])
    return QueuePage(
        intakes=rows,
        number=number,
        num_pages=num_pages,
        count=total,
        has_previous=number > 1,
        has_next=number < num_pages,
    )


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
