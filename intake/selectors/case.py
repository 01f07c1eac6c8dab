"""Reads for the physician's case view: the case, its screenings with what changed between
them, its decisions, the guidance blocks and the follow-up plan. "Now" is an argument."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from intake import history
from intake.decision_rules import suggested_decision
from intake.models import Decision, DecisionKind, Intake, IntakeStatus, Screening
from intake.names import person_name
from intake.outcomes import (
    DecisionLine,
    decision_line,
    emergency_label,
    outcome_colour,
    outcome_label,
)
from intake.selectors.codes import SuggestedCodes, suggested_codes
from intake.selectors.emergencies import EmergencyActionItem, emergency_actions
from intake.selectors.handouts import (
    FollowUpVisit,
    case_moments,
    content_sections,
    follow_up_visits,
    has_handout,
)
from intake.selectors.screenings import (
    AnswerSection,
    RuleGroup,
    answer_sections,
    questions_of_sets,
    rule_groups,
)
from screener import adapters, engine
from screener.content import ContentSection
from screener.models import ContentReader, Question

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
    technique_label: str = ""  # with "proceed": the technique chosen, as its set names it


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
    elapsed: list[ElapsedWeeks]
    answer_sections: list[AnswerSection]
    rule_groups: list[RuleGroup]
    missing: list[tuple[str, str]]
    codes: SuggestedCodes
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
                by=person_name(screening.created_by),
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


@dataclass(frozen=True)
class ElapsedWeeks:
    """A "weeks since" value of the set, as the case view shows it."""

    label: str
    weeks: float | None  # None: its date question was not answered
    question: str  # the prompt of the date question it counts from


def elapsed_weeks(screening: Screening, spec: engine.CriteriaSpec) -> list[ElapsedWeeks]:
    """Each value the set counts in weeks since a date answer, at the screening date."""
    items = []
    for derived in spec.derived:
        if not derived.weeks_since:
            continue
        question = spec.question(derived.weeks_since)
        try:
            answered = datetime.date.fromisoformat(screening.answers.get(derived.weeks_since))
        except (TypeError, ValueError):
            answered = None
        items.append(
            ElapsedWeeks(
                label=derived.label or derived.name.replace("_", " "),
                weeks=round((screening.as_of - answered).days / 7, 1) if answered else None,
                question=question.prompt if question else derived.weeks_since,
            )
        )
    return items


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
        .select_related(
            "physician", "planned_date_set_by", "superseded_by", "screening__criteria_set"
        )
        .order_by("signed_at", "id")
    )
    current = decisions[-1] if decisions else None
    screening_numbers = {s.pk: number for number, s in enumerate(screenings, 1)}
    decision_items = [
        DecisionItem(
            decision=decision,
            kind_label=decision.get_kind_display(),
            physician=person_name(decision.physician),
            in_force=decision is current and intake.status != IntakeStatus.SUBMITTED,
            superseded_by_id=getattr(getattr(decision, "superseded_by", None), "pk", None),
            screening_number=screening_numbers.get(decision.screening_id, 0),
            planned_date_set_by=person_name(decision.planned_date_set_by),
            technique_label=adapters.compiled_criteria(decision.screening.criteria_set)
            .spec.techniques()
            .get(decision.technique, decision.technique)
            if decision.technique
            else "",
        )
        for decision in reversed(decisions)
    ]
    suggested = suggested_decision(screening.outcome)
    in_force = intake.decision_in_force
    criteria_set = screening.criteria_set
    spec = adapters.compiled_criteria(criteria_set).spec
    labels = spec.labels()
    detail = CaseDetail(
        intake=intake,
        patient_age=adapters.age_on(intake.patient.date_of_birth, timezone.localdate(now)),
        screening=screening,
        criteria_version=criteria_set.version,
        outcome_label=outcome_label(screening.outcome, decided=in_force is not None),
        outcome_colour=outcome_colour(screening.outcome),
        emergency_label=emergency_label() if screening.emergency else "",
        decision_in_force=decision_line(in_force) if in_force is not None else None,
        elapsed=elapsed_weeks(screening, spec),
        answer_sections=answer_sections(latest_questions, screening),
        rule_groups=rule_groups(screening, prompts, labels),
        missing=[(code, prompts.get(code, code)) for code in screening.missing],
        codes=suggested_codes(screening, in_force),
        history=_history(screenings, questions),
        decisions=decision_items,
        current_decision=current,
        can_decide=intake.status == IntakeStatus.SUBMITTED,
        can_amend=current is not None and intake.status != IntakeStatus.SUBMITTED,
        suggested_kind=suggested.value if suggested else "",
        suggested_label=suggested.label if suggested else "",
        assigned_to=person_name(intake.assigned_to),
        guidance=content_sections(
            criteria_set=criteria_set,
            reader=ContentReader.PHYSICIAN,
            moments=case_moments(outcome=screening.outcome, decision=in_force),
            screening=screening,
        ),
        emergency_actions=emergency_actions(intake=intake),
        has_handout=has_handout(intake=intake),
    )
    if detail.proceed_in_force and current is not None and current.planned_procedure_date:
        detail.follow_up = follow_up_visits(
            current.planned_procedure_date, criteria_set.followupvisit_set.all()
        )
    return detail
