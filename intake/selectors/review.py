"""Reads for physician review: the queue, its counts and export rows, the case view, the
follow-up plan and the patient instructions.

The queue is ordered and filtered in the database (a rank annotation over the outcome copied
onto the intake, then the submission time), so pagination is exact and the page costs the same
few queries whatever the number of intakes. "Now" is an argument: nothing here reads the clock.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import BooleanField, Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from intake import history
from intake.models import Decision, DecisionKind, Intake, IntakeStatus, Screening
from intake.outcomes import (
    CODES_LABEL,
    OUTCOME_LABELS,
    DecisionLine,
    decision_line,
    emergency_label,
    outcome_colour,
    outcome_label,
)
from intake.roles import PHYSICIAN
from intake.selectors.emergencies import EmergencyActionItem, emergency_actions
from intake.selectors.handouts import (
    FollowUpVisit,
    case_moments,
    content_sections,
    follow_up_visits,
)
from intake.selectors.screenings import (
    AnswerSection,
    EffectGroup,
    answer_sections,
    questions_of_sets,
    rule_groups,
)
from intake.services.reviews import physician_name, suggested_decision
from screener import adapters
from screener.content import ContentSection
from screener.engine.types import Effect, Outcome
from screener.models import ContentReader, Procedure, Question

# --------------------------------------------------------------------------------------------
# Queue

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


def search_key(text: str) -> str:
    """Lower-case, without accents and without anything but letters and digits."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).lower()


def _search_q(search: str) -> Q:
    """Every word must match the patient's MRN, first name or last name (any part of them)."""
    query = Q()
    for word in search.split():
        key = search_key(word)
        matches = (
            Q(patient__mrn__icontains=word)
            | Q(patient__first_name__icontains=word)
            | Q(patient__last_name__icontains=word)
        )
        if key:
            matches |= Q(patient__first_name_key__contains=key) | Q(
                patient__last_name_key__contains=key
            )
        query &= matches
    return query


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
        intakes = intakes.filter(_search_q(filters.search))
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
        .defer("answers", "latest_screening__answers")
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


def _rule_message(rules: Sequence[dict], effect: Effect, *, holds: bool) -> str:
    for rule in rules:
        if rule["effect"] == effect.value and bool(rule["holds"]) == holds:
            return rule["message"]
    return ""


def key_reason(
    *, outcome: str, rules: Sequence[dict], missing: Sequence[str], prompts: dict[str, str]
) -> str:
    """The one line a physician reads first: the first red flag, contraindication, missing
    answer or information rule, failed prerequisite, missing pathway, or caution, following
    the outcome's precedence."""
    for effect in (Effect.RED_FLAG, Effect.CONTRAINDICATION):
        message = _rule_message(rules, effect, holds=True)
        if message:
            return message
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        return f"Missing: {prompts.get(missing[0], missing[0])}{more}"
    message = _rule_message(rules, Effect.NEEDS_INFO, holds=True) or _rule_message(
        rules, Effect.PREREQUISITE, holds=False
    )
    if message:
        return message
    if outcome == Outcome.CONSERVATIVE.value:
        return "No treatment pathway is met (pain level, trend, non-surgical care or findings)."
    return _rule_message(rules, Effect.CAUTION, holds=True)


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


def _missing_prompts(intakes: Sequence[Intake]) -> dict[tuple[int, str], str]:
    """Prompts of the first missing question of each row (one query for the page)."""
    wanted = {
        (intake.latest_screening.criteria_set_id, intake.latest_screening.missing[0])
        for intake in intakes
        if intake.latest_screening is not None and intake.latest_screening.missing
    }
    if not wanted:
        return {}
    rows = (
        Question.objects.filter(
            criteria_set_id__in={set_id for set_id, _ in wanted},
            code__in={code for _, code in wanted},
        )
        .order_by()
        .values_list("criteria_set_id", "code", "prompt")
    )
    return {(set_id, code): prompt for set_id, code, prompt in rows}


def queue_rows(intakes: Iterable[Intake], *, now: datetime.datetime) -> list[QueueRow]:
    """What each queue row shows, from intakes of ``queue_intakes`` (one extra query)."""
    intakes = list(intakes)
    prompts = _missing_prompts(intakes)
    today = timezone.localdate(now)
    rows = []
    for intake in intakes:
        screening = intake.latest_screening
        reason = ""
        if screening is not None:
            reason = key_reason(
                outcome=intake.outcome,
                rules=screening.rule_results,
                missing=screening.missing,
                prompts={
                    code: prompt
                    for (set_id, code), prompt in prompts.items()
                    if set_id == screening.criteria_set_id
                },
            )
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
                assigned_to=physician_name(intake.assigned_to),
                decision=decision_line(decision) if decision is not None else None,
            )
        )
    return rows


EXPORT_HEADER = (
    "Intake",
    "MRN",
    "Patient",
    "Age",
    "Procedure",
    "Status",
    "Physician decision",
    "Decided by",
    "Decided at",
    "Screener suggested",
    "Emergency",
    "Emergency action recorded",
    "Key reason",
    "Submitted at",
    "Hours waiting",
    "Past turnaround limit",
    "Assigned to",
)


def _cell(value: Any) -> str:
    """Text for a CSV cell; a leading = + - @ is escaped so spreadsheets do not run it."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _local_minute(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def queue_export_rows(
    *, filters: QueueFilters, user: User, now: datetime.datetime, batch: int = 500
) -> Iterable[list[str]]:
    """The whole filtered queue as CSV rows (header first), in queue order, in batches."""
    yield list(EXPORT_HEADER)
    intakes = queue_intakes(filters=filters, user=user, now=now)
    last = 0
    while True:
        # Keyset batches would need the rank in the key; offsets are fine for a queue's size.
        chunk = list(intakes[last : last + batch])
        if not chunk:
            return
        for row in queue_rows(chunk, now=now):
            yield [
                _cell(value)
                for value in (
                    row.intake_id,
                    row.mrn,
                    row.patient_name,
                    row.age,
                    row.procedure,
                    row.status_label,
                    row.decision.label if row.decision else "",
                    row.decision.physician if row.decision else "",
                    _local_minute(row.decision.signed_at) if row.decision else "",
                    OUTCOME_LABELS.get(row.outcome, row.outcome),
                    "yes" if row.emergency else "no",
                    ("no" if row.emergency_open else "yes") if row.emergency else "",
                    row.key_reason,
                    _local_minute(row.submitted_at) if row.submitted_at else "",
                    (f"{row.waited.total_seconds() / 3600:.1f}" if row.waited is not None else ""),
                    "yes" if row.overdue else "no",
                    row.assigned_to,
                )
            ]
        last += batch


def review_procedures() -> list[Procedure]:
    return list(Procedure.objects.order_by("name"))


def review_physicians() -> list[User]:
    """Active users with the Physician role, for assignment and the assigned filter."""
    return list(
        User.objects.filter(groups__name=PHYSICIAN, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


# --------------------------------------------------------------------------------------------
# Case view

SCREENING_KIND_TEXT = {
    "submission": "Submitted",
    "edit": "Edited and resubmitted",
    "rescreen": "Re-screened under new criteria",
}


@dataclass(frozen=True)
class AnswerChangeItem:
    prompt: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    screening: Screening
    number: int
    kind_text: str
    criteria_version: int
    outcome_label: str
    outcome_colour: str
    by: str
    diff: history.ScreeningDiff | None  # None for the first screening
    answer_changes: list[AnswerChangeItem]
    outcome_before: str
    is_latest: bool


@dataclass(frozen=True)
class DecisionItem:
    decision: Decision
    kind_label: str
    physician: str
    in_force: bool
    superseded_by_id: int | None
    screening_number: int
    planned_date_set_by: str


@dataclass
class CaseDetail:
    intake: Intake
    patient_age: int
    screening: Screening
    criteria_version: int
    outcome_label: str
    outcome_colour: str
    emergency_label: str
    decision_in_force: DecisionLine | None
    weeks_since_onset: float | None
    answer_sections: list[AnswerSection]
    rule_groups: list[EffectGroup]
    missing: list[tuple[str, str]]
    suggested_codes: list[str]
    codes_label: str
    history: list[HistoryEntry]
    decisions: list[DecisionItem]
    current_decision: Decision | None
    can_decide: bool
    can_amend: bool
    suggested_kind: str
    suggested_label: str
    assigned_to: str
    # The physicians' content blocks for the suggestion and the decision in force (the
    # evidence summary beside the decision, conservative alternatives, the coding note, ...).
    guidance: list[ContentSection] = field(default_factory=list)
    follow_up: list[FollowUpVisit] = field(default_factory=list)
    has_handout: bool = False
    emergency_actions: list[EmergencyActionItem] = field(default_factory=list)

    @property
    def screened_since_decision(self) -> bool:
        """The decision in force was made on an earlier screening (edited or re-screened since)."""
        return (
            self.current_decision is not None
            and self.intake.status != IntakeStatus.SUBMITTED
            and self.current_decision.screening_id != self.screening.pk
        )

    @property
    def proceed_in_force(self) -> bool:
        return (
            self.current_decision is not None
            and self.current_decision.kind == DecisionKind.PROCEED
            and self.intake.status == IntakeStatus.DECIDED
        )


def _snapshot(screening: Screening) -> history.Snapshot:
    return history.Snapshot(
        answers=screening.answers,
        rules=screening.rule_results,
        criteria_version=screening.criteria_set.version,
        outcome=screening.outcome,
        emergency=screening.emergency,
    )


def _history(
    screenings: list[Screening], questions: dict[int, list[Question]]
) -> list[HistoryEntry]:
    """Every screening, newest first, each with what changed since the one before it."""
    entries = []
    previous: Screening | None = None
    for number, screening in enumerate(screenings, 1):
        set_questions = questions.get(screening.criteria_set_id, [])
        prompts = {q.code: q.prompt for q in set_questions}
        diff = None
        changes: list[AnswerChangeItem] = []
        if previous is not None:
            for q in questions.get(previous.criteria_set_id, []):
                prompts.setdefault(q.code, q.prompt)
            diff = history.diff_screenings(
                _snapshot(previous),
                _snapshot(screening),
                question_order=[q.code for q in set_questions],
            )
            changes = [
                AnswerChangeItem(prompts.get(c.code, c.code), c.before_text, c.after_text)
                for c in diff.answers
            ]
        entries.append(
            HistoryEntry(
                screening=screening,
                number=number,
                kind_text=SCREENING_KIND_TEXT.get(screening.kind, screening.kind),
                criteria_version=screening.criteria_set.version,
                # What each screening suggested at the time, in plain words.
                outcome_label=outcome_label(
                    screening.outcome, emergency=screening.emergency, decided=True
                ),
                outcome_colour=outcome_colour(screening.outcome),
                by=physician_name(screening.created_by),
                diff=diff,
                answer_changes=changes,
                outcome_before=(
                    outcome_label(previous.outcome, emergency=previous.emergency, decided=True)
                    if previous is not None
                    else ""
                ),
                is_latest=number == len(screenings),
            )
        )
        previous = screening
    return list(reversed(entries))


def _weeks_since_onset(screening: Screening) -> float | None:
    onset = screening.answers.get("symptom_onset_date")
    if not onset:
        return None
    try:
        onset_date = datetime.date.fromisoformat(onset)
    except (TypeError, ValueError):
        return None
    return round((screening.as_of - onset_date).days / 7, 1)


def reviewable_intake(intake_id: int) -> Intake | None:
    """A submitted (or once submitted) intake, for review pages; None for drafts and strangers."""
    return (
        Intake.objects.exclude(status=IntakeStatus.DRAFT)
        .select_related(
            "patient",
            "procedure",
            "criteria_set",
            "assigned_to",
            "latest_screening__criteria_set",
            "current_decision__physician",
        )
        .filter(pk=intake_id, latest_screening__isnull=False)
        .first()
    )


def decision_of_intake(*, intake_id: int, decision_id: int) -> Decision | None:
    return (
        Decision.objects.filter(pk=decision_id, intake_id=intake_id)
        .select_related("physician")
        .first()
    )


def case_detail(*, intake_id: int, now: datetime.datetime) -> CaseDetail | None:
    """Everything the case view shows (a fixed handful of queries)."""
    intake = reviewable_intake(intake_id)
    if intake is None:
        return None
    screening = intake.latest_screening
    assert screening is not None  # reviewable_intake requires it
    screenings = list(
        Screening.objects.filter(intake=intake)
        .select_related("criteria_set", "created_by")
        .order_by("created_at", "id")
    )
    questions = questions_of_sets({s.criteria_set_id for s in screenings})
    latest_questions = questions.get(screening.criteria_set_id, [])
    prompts = {q.code: q.prompt for q in latest_questions}
    decisions = list(
        Decision.objects.filter(intake=intake)
        .select_related("physician", "planned_date_set_by", "superseded_by")
        .order_by("signed_at", "id")
    )
    current = decisions[-1] if decisions else None
    screening_numbers = {s.pk: number for number, s in enumerate(screenings, 1)}
    decision_items = [
        DecisionItem(
            decision=decision,
            kind_label=decision.get_kind_display(),
            physician=physician_name(decision.physician),
            in_force=decision is current and intake.status != IntakeStatus.SUBMITTED,
            superseded_by_id=getattr(getattr(decision, "superseded_by", None), "pk", None),
            screening_number=screening_numbers.get(decision.screening_id, 0),
            planned_date_set_by=physician_name(decision.planned_date_set_by),
        )
        for decision in reversed(decisions)
    ]
    suggested = suggested_decision(screening.outcome)
    in_force = intake.decision_in_force
    criteria_set = screening.criteria_set
    labels = adapters.compiled_criteria(criteria_set).spec.labels()
    detail = CaseDetail(
        intake=intake,
        patient_age=adapters.age_on(intake.patient.date_of_birth, timezone.localdate(now)),
        screening=screening,
        criteria_version=criteria_set.version,
        outcome_label=outcome_label(screening.outcome, decided=in_force is not None),
        outcome_colour=outcome_colour(screening.outcome),
        emergency_label=emergency_label() if screening.emergency else "",
        decision_in_force=decision_line(in_force) if in_force is not None else None,
        weeks_since_onset=_weeks_since_onset(screening),
        answer_sections=answer_sections(latest_questions, screening),
        rule_groups=rule_groups(screening, prompts, labels),
        missing=[(code, prompts.get(code, code)) for code in screening.missing],
        suggested_codes=list(screening.suggested_codes),
        codes_label=CODES_LABEL,
        history=_history(screenings, questions),
        decisions=decision_items,
        current_decision=current,
        can_decide=intake.status == IntakeStatus.SUBMITTED,
        can_amend=current is not None and intake.status != IntakeStatus.SUBMITTED,
        suggested_kind=suggested.value if suggested else "",
        suggested_label=suggested.label if suggested else "",
        assigned_to=physician_name(intake.assigned_to),
        guidance=content_sections(
            criteria_set=criteria_set,
            reader=ContentReader.PHYSICIAN,
            moments=case_moments(outcome=screening.outcome, decision=in_force),
            screening=screening,
        ),
        emergency_actions=emergency_actions(intake=intake),
    )
    if in_force is not None and intake.status == IntakeStatus.DECIDED:
        detail.has_handout = bool(
            content_sections(
                criteria_set=criteria_set,
                reader=ContentReader.PATIENT,
                moments=case_moments(decision=in_force),
            )
        )
    if detail.proceed_in_force and current is not None and current.planned_procedure_date:
        detail.follow_up = follow_up_visits(
            current.planned_procedure_date, criteria_set.followupvisit_set.all()
        )
    return detail
