"""Reads of intakes, and the summaries the form's live panel and the result page show.

A *summary* turns one evaluation (a stored Screening, or the engine's result for answers not
yet saved) into what a page lists: the outcome label, the rules that held in precedence order,
the missing questions by their prompts, and, for ``conservative``, what did not hold. Templates
loop over it; they decide nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from intake.explain import value_pairs
from intake.models import (
    NEEDS_INFO_FILTER,
    NEEDS_INFO_GROUP,
    Decision,
    DecisionKind,
    Intake,
    IntakeStatus,
    Patient,
    Screening,
)
from intake.names import person_name
from intake.outcomes import (
    Badge,
    DecisionLine,
    decision_line,
    emergency_label,
    outcome_badge,
    outcome_colour,
    outcome_label,
)
from intake.selectors.codes import suggested_codes
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
    RuleItem,
    answer_sections,
    questions_of_sets,
    rule_groups,
    rule_item,
)
from screener import adapters
from screener.content import ContentSection
from screener.engine.types import Effect, Outcome
from screener.models import ContentReader, CriteriaSet, CriteriaSetStatus, Procedure, Question

# --------------------------------------------------------------------------------------------
# Lists


def intakes_of_patient(*, patient) -> QuerySet[Intake]:
    """A patient's intakes, newest first, with the decision in force."""
    return (
        Intake.objects.filter(patient=patient)
        .select_related("procedure", "criteria_set", "current_decision__physician")
        .defer("answers")  # the page lists intakes; their answers are on the intake's pages
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class CaseStatus:
    """Where an intake stands, as every page states it: the physician's decision in force
    first, then the screener's suggestion, labelled as such."""

    decision: DecisionLine | None
    suggestion: Badge  # reads "… awaiting physician review" until a physician decides
    emergency: bool
    emergency_open: bool  # an emergency red flag with no action recorded yet
    earlier_decision: DecisionLine | None  # decided before, then submitted again after an edit

    @property
    def proceed(self) -> bool:
        return self.decision is not None and self.decision.kind == DecisionKind.PROCEED


def case_status(intake: Intake) -> CaseStatus:
    """The intake's status line (its ``current_decision`` and physician should be loaded)."""
    in_force = intake.decision_in_force
    earlier = intake.current_decision if in_force is None else None
    return CaseStatus(
        decision=decision_line(in_force) if in_force is not None else None,
        suggestion=outcome_badge(intake.outcome, decided=in_force is not None),
        emergency=intake.emergency,
        emergency_open=intake.emergency_open,
        earlier_decision=decision_line(earlier) if earlier is not None else None,
    )


def procedures_open_for_intake() -> QuerySet[Procedure]:
    """Procedures with a published criteria set: the ones an intake can be started for."""
    return (
        Procedure.objects.filter(criteria_sets__status=CriteriaSetStatus.PUBLISHED)
        .distinct()
        .order_by("name")
    )


def intake_get(*, intake_id: int) -> Intake | None:
    """One intake with what every intake page shows (patient, set, latest screening)."""
    return (
        Intake.objects.select_related(
            "patient",
            "procedure",
            "criteria_set__procedure",
            "latest_screening__criteria_set",
            "submitted_by",
            "current_decision__physician",
        )
        .filter(pk=intake_id)
        .first()
    )


def intake_screenings(*, intake: Intake) -> list[Screening]:
    """Every screening of an intake, oldest first (the history stays visible)."""
    return list(
        Screening.objects.filter(intake=intake)
        .select_related("criteria_set__procedure", "created_by")
        .order_by("created_at", "id")
    )


def intake_decisions(*, intake: Intake) -> list[Decision]:
    return list(
        Decision.objects.filter(intake=intake)
        .select_related("physician")
        .order_by("signed_at", "id")
    )


def latest_info_request(*, intake: Intake) -> Decision | None:
    """The physician's latest request for information on the intake, if any."""
    return (
        Decision.objects.filter(intake=intake, kind=DecisionKind.REQUEST_INFO)
        .select_related("physician")
        .order_by("-signed_at", "-id")
        .first()
    )


def needs_info_list() -> QuerySet[Intake, int]:
    """The front desk's work list, as intake ids: what the physician asked for, then what is
    missing. A paginator cuts a page of it; ``needs_info_rows`` reads that page's intakes.

    (a) info_requested intakes; (b) submitted intakes whose outcome is needs_info. Oldest first
    within each group, so nobody waits longest. The order is the partial index
    ``intake_needs_info_idx``'s (filter and group from ``intake.models``), and only ids are
    read in it: a deep page skips narrow index entries instead of sorting whole rows.
    """
    return (
        Intake.objects.filter(NEEDS_INFO_FILTER)
        .annotate(group=NEEDS_INFO_GROUP)
        .order_by("group", "submitted_at", "id")
        .values_list("pk", flat=True)
    )


def _needs_info_intakes(page_ids: QuerySet[Intake, int] | list[int]) -> list[Intake]:
    """The intakes of one page of ``needs_info_list`` (a sliced queryset: read as a subquery),
    in its order, with the physician's note (``request_note``: the reason of the latest
    request_info decision). The answers JSON, which the list does not show, is left out."""
    latest_request = Decision.objects.filter(
        intake=OuterRef("pk"), kind=DecisionKind.REQUEST_INFO
    ).order_by("-signed_at", "-id")
    return list(
        Intake.objects.filter(pk__in=page_ids)
        .select_related("patient", "procedure", "latest_screening", "current_decision__physician")
        .defer("answers", "latest_screening__answers")
        .annotate(
            request_note=Subquery(latest_request.values("reason")[:1]),
            group=NEEDS_INFO_GROUP,
        )
        .order_by("group", "submitted_at", "id")
    )


# --------------------------------------------------------------------------------------------
# Questions and content of a criteria set


def set_questions(*, criteria_set: CriteriaSet) -> list[Question]:
    """The set's questions in checklist order (one query)."""
    return list(criteria_set.question_set.order_by("order", "id"))


def question_prompts(*, criteria_set_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """criteria set id -> question code -> prompt, for several sets in one query."""
    prompts: dict[int, dict[str, str]] = {}
    rows = Question.objects.filter(criteria_set_id__in=set(criteria_set_ids)).values_list(
        "criteria_set_id", "code", "prompt"
    )
    for set_id, code, prompt in rows:
        prompts.setdefault(set_id, {})[code] = prompt
    return prompts


# --------------------------------------------------------------------------------------------
# Summaries


@dataclass(frozen=True)
class MissingLine:
    code: str
    prompt: str


@dataclass(frozen=True)
class Summary:
    outcome: str
    label: str
    colour: str
    emergency: bool
    emergency_label: str
    held: tuple[RuleGroup, ...]  # non-empty groups, red flags and contraindications first
    red_flags: tuple[RuleItem, ...]
    prerequisites_total: int
    failed_prerequisites: tuple[RuleItem, ...]  # shown for conservative
    pathways_not_held: tuple[RuleItem, ...]  # shown for conservative
    missing: tuple[MissingLine, ...]
    suggested_codes: tuple[str, ...]
    is_conservative: bool = False
    has_codes: bool = False
    # The answered questions that raised an emergency, in the order the rules read them: the
    # form shows the warning beside the first of them.
    emergency_questions: tuple[str, ...] = ()


# What held, in the order a reader needs it; prerequisites are shown as met / failed.
HELD_GROUPS = (
    (Effect.RED_FLAG, "Red flags", "danger"),
    (Effect.CONTRAINDICATION, "Contraindications", "danger"),
    (Effect.NEEDS_INFO, "Information needed", "warning"),
    (Effect.PATHWAY, "Pathways that hold", "success"),
    (Effect.CAUTION, "Cautions", "warning"),
    (Effect.TODO, "Documentation still owed", "secondary"),
)


def summarize(
    *,
    outcome: str,
    emergency: bool,
    rule_results: Iterable[Mapping[str, Any]],
    missing: Iterable[str],
    suggested_codes: Iterable[str],
    prompts: Mapping[str, str],
    labels: Mapping[str, str],
    decided: bool = False,
) -> Summary:
    """A stored screening's (or a preview's) results as the pages show them; ``decided`` when
    a physician's decision is in force (the outcome then reads as what was suggested)."""

    def line(rule: Mapping[str, Any]) -> RuleItem:
        return rule_item(rule, prompts, labels)

    rules = list(rule_results)
    held = tuple(
        RuleGroup(effect=str(effect), title=title, css=css, rules=lines)
        for effect, title, css in HELD_GROUPS
        for lines in [tuple(line(r) for r in rules if r["effect"] == effect and r["holds"])]
        if lines
    )
    conservative = outcome == Outcome.CONSERVATIVE
    codes = tuple(suggested_codes)
    return Summary(
        outcome=outcome,
        label=outcome_label(outcome, decided=decided),
        colour=outcome_colour(outcome),
        emergency=emergency,
        emergency_label=emergency_label(),
        held=held,
        red_flags=tuple(line(r) for r in rules if r["effect"] == Effect.RED_FLAG and r["holds"]),
        prerequisites_total=sum(1 for r in rules if r["effect"] == Effect.PREREQUISITE),
        failed_prerequisites=tuple(
            line(r) for r in rules if r["effect"] == Effect.PREREQUISITE and not r["holds"]
        ),
        pathways_not_held=tuple(
            line(r) for r in rules if r["effect"] == Effect.PATHWAY and not r["holds"]
        ),
        missing=tuple(MissingLine(code=c, prompt=prompts.get(c, c)) for c in missing),
        suggested_codes=codes,
        is_conservative=conservative,
        has_codes=bool(codes),
        emergency_questions=tuple(
            dict.fromkeys(
                name
                for rule in rules
                if rule["effect"] == Effect.RED_FLAG and rule["holds"] and rule.get("emergency")
                for name, value in value_pairs(rule.get("values"))
                if value is not None and name in prompts
            )
        ),
    )


def screening_summary(
    *, screening: Screening, prompts: Mapping[str, str], decided: bool = False
) -> Summary:
    return summarize(
        outcome=screening.outcome,
        emergency=screening.emergency,
        rule_results=screening.rule_results,
        missing=screening.missing,
        suggested_codes=screening.suggested_codes,
        prompts=prompts,
        labels=set_labels(screening.criteria_set),
        decided=decided,
    )


def set_labels(criteria_set: CriteriaSet) -> dict[str, str]:
    """Name -> label of every question, parameter and derived value (cached with the set)."""
    return adapters.compiled_criteria(criteria_set).spec.labels()


# --------------------------------------------------------------------------------------------
# Preview: the live panel's evaluation of answers not yet saved


@dataclass(frozen=True)
class Preview:
    summary: Summary
    required: frozenset[str]  # questions required now, answered or not (the engine says)
    # Questions required "when" a condition that does not hold now, answered or not.
    not_needed: frozenset[str] = frozenset()


def patient_record(patient: Patient) -> adapters.PatientRecord:
    """The facts of a patient's record that fill the questions marked filled by the app."""
    return adapters.PatientRecord(date_of_birth=patient.date_of_birth, sex=patient.sex)


def intake_preview(
    *,
    criteria_set: CriteriaSet,
    answers: Mapping[str, Any],
    as_of: datetime.date,
    patient: adapters.PatientRecord | None,
    prompts: Mapping[str, str],
) -> Preview:
    """Screen answers without saving anything (the live panel and the form's first render)."""
    result, _screened = adapters.screen_answers(
        criteria_set, dict(answers), as_of=as_of, patient=patient
    )
    summary = summarize(
        outcome=str(result.outcome),
        emergency=result.emergency,
        rule_results=adapters.stored_rule_results(result),
        missing=result.missing,
        suggested_codes=result.suggested_codes,
        prompts=prompts,
        labels=set_labels(criteria_set),
    )
    return Preview(
        summary=summary,
        required=frozenset(result.required),
        not_needed=frozenset(result.not_needed),
    )


# --------------------------------------------------------------------------------------------
# The needs-information list


@dataclass(frozen=True)
class NeedsInfoRow:
    intake: Intake
    requested: bool  # the physician asked (info_requested), else the screening found gaps
    note: str  # the physician's note
    missing: tuple[str, ...]  # prompts of the missing answers
    needed: tuple[str, ...]  # messages of the needs_info rules that hold
    status: CaseStatus


def needs_info_rows(*, page_ids: QuerySet[Intake, int] | list[int]) -> list[NeedsInfoRow]:
    """One page of ``needs_info_list`` (its ids) with what is missing, by prompt: two queries
    (the intakes, the prompts of their sets) whatever the page."""
    intakes = _needs_info_intakes(page_ids)
    screenings = [i.latest_screening for i in intakes if i.latest_screening is not None]
    prompts = question_prompts(criteria_set_ids={s.criteria_set_id for s in screenings})
    rows = []
    for intake in intakes:
        screening = intake.latest_screening
        set_prompts = prompts.get(screening.criteria_set_id, {}) if screening else {}
        rows.append(
            NeedsInfoRow(
                intake=intake,
                requested=intake.status == IntakeStatus.INFO_REQUESTED,
                note=getattr(intake, "request_note", "") or "",
                missing=tuple(
                    set_prompts.get(c, c) for c in (screening.missing if screening else ())
                ),
                needed=tuple(
                    r["message"]
                    for r in (screening.rule_results if screening else ())
                    if r["effect"] == Effect.NEEDS_INFO and r["holds"]
                ),
                status=case_status(intake),
            )
        )
    return rows


# --------------------------------------------------------------------------------------------
# The front desk's result page


@dataclass
class IntakeResult:
    """Everything the result page (and its printout) shows, decision in force first."""

    status: CaseStatus
    screening: Screening
    screened_by: str
    summary: Summary
    history: list[tuple[Screening, Summary, str]]  # newest first: screening, summary, by
    decisions: list[DecisionLine]  # every decision on record, newest first
    emergency_actions: list[EmergencyActionItem]
    answer_sections: list[AnswerSection]
    rule_groups: list[RuleGroup]
    staff_content: list[ContentSection]  # billing and coding, after "proceed" only
    suggested_codes: list[str]  # after "proceed" only
    codes_label: str
    planned_date: datetime.date | None
    visits: list[FollowUpVisit]
    has_handout: bool


def intake_result(*, intake: Intake) -> IntakeResult:
    """The result page of a screened intake (a fixed handful of queries)."""
    status = case_status(intake)
    latest = intake.latest_screening
    assert latest is not None
    screenings = intake_screenings(intake=intake)
    questions = questions_of_sets({s.criteria_set_id for s in screenings})
    decided = status.decision is not None
    history = [
        (
            s,
            screening_summary(
                screening=s,
                prompts={q.code: q.prompt for q in questions.get(s.criteria_set_id, [])},
                decided=decided,
            ),
            person_name(s.created_by, nobody="the system"),
        )
        for s in reversed(screenings)
    ]
    latest_questions = questions.get(latest.criteria_set_id, [])
    prompts = {q.code: q.prompt for q in latest_questions}
    in_force = intake.decision_in_force
    moments = case_moments(decision=in_force)
    planned = in_force.planned_procedure_date if status.proceed and in_force else None
    codes = suggested_codes(latest, in_force)
    return IntakeResult(
        status=status,
        screening=latest,
        screened_by=history[0][2],
        summary=history[0][1],
        history=history,
        decisions=[decision_line(d) for d in reversed(intake_decisions(intake=intake))],
        emergency_actions=emergency_actions(intake=intake),
        answer_sections=answer_sections(latest_questions, latest),
        rule_groups=rule_groups(latest, prompts, set_labels(latest.criteria_set)),
        staff_content=content_sections(
            criteria_set=latest.criteria_set,
            reader=ContentReader.STAFF,
            moments=moments,
            screening=latest,
        ),
        suggested_codes=codes.codes if status.proceed else [],
        codes_label=codes.label,
        planned_date=planned,
        visits=(
            follow_up_visits(planned, latest.criteria_set.followupvisit_set.all())
            if planned
            else []
        ),
        has_handout=has_handout(intake=intake),
    )
