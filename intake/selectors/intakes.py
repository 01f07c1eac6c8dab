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

from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from intake.models import Decision, DecisionKind, Intake, IntakeStatus, Screening
from intake.outcomes import EMERGENCY_LABEL, outcome_colour, outcome_label
from screener import adapters
from screener.engine.types import Effect, Outcome
from screener.models import ContentBlock, CriteriaSet, CriteriaSetStatus, Procedure, Question

# --------------------------------------------------------------------------------------------
# Lists


def intakes_of_patient(*, patient) -> QuerySet[Intake]:
    """A patient's intakes, newest first."""
    return (
        Intake.objects.filter(patient=patient)
        .select_related("procedure", "criteria_set")
        .order_by("-created_at", "-id")
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
        )
        .filter(pk=intake_id)
        .first()
    )


def intake_screenings(*, intake: Intake) -> list[Screening]:
    """Every screening of an intake, oldest first (the history stays visible)."""
    return list(
        Screening.objects.filter(intake=intake)
        .select_related("criteria_set", "created_by")
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


def needs_info_list() -> QuerySet[Intake]:
    """The front desk's work list: what the physician asked for, then what is missing.

    (a) info_requested intakes, with the physician's note (``request_note``: the reason of
    the latest request_info decision); (b) submitted intakes whose outcome is needs_info.
    Oldest first within each group, so nobody waits longest.
    """
    latest_request = Decision.objects.filter(
        intake=OuterRef("pk"), kind=DecisionKind.REQUEST_INFO
    ).order_by("-signed_at", "-id")
    return (
        Intake.objects.filter(
            Q(status=IntakeStatus.INFO_REQUESTED)
            | Q(status=IntakeStatus.SUBMITTED, outcome=Outcome.NEEDS_INFO)
        )
        .select_related("patient", "procedure", "latest_screening")
        .annotate(
            request_note=Subquery(latest_request.values("reason")[:1]),
            request_at=Subquery(latest_request.values("signed_at")[:1]),
            group=Case(
                When(status=IntakeStatus.INFO_REQUESTED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
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


def content_blocks(*, criteria_set: CriteriaSet) -> dict[str, ContentBlock]:
    """The set's content blocks by kind (one query)."""
    return {block.kind: block for block in criteria_set.contentblock_set.all()}


# --------------------------------------------------------------------------------------------
# Summaries


@dataclass(frozen=True)
class RuleLine:
    code: str
    effect: str
    message: str
    source: str
    emergency: bool
    needs: tuple[str, ...]  # prompts of the missing answers the rule depends on


@dataclass(frozen=True)
class RuleGroup:
    effect: str
    title: str
    rules: tuple[RuleLine, ...]
    css: str


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
    red_flags: tuple[RuleLine, ...]
    prerequisites_total: int
    failed_prerequisites: tuple[RuleLine, ...]  # shown for conservative
    pathways_not_held: tuple[RuleLine, ...]  # shown for conservative
    missing: tuple[MissingLine, ...]
    suggested_codes: tuple[str, ...]
    is_conservative: bool = False
    has_codes: bool = False


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
) -> Summary:
    """A stored screening's (or a preview's) results as the pages show them."""

    def line(rule: Mapping[str, Any]) -> RuleLine:
        return RuleLine(
            code=rule["code"],
            effect=rule["effect"],
            message=rule["message"],
            source=rule["source"],
            emergency=bool(rule.get("emergency")),
            needs=tuple(prompts.get(code, code) for code in rule.get("needs", ())),
        )

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
        label=outcome_label(outcome),
        colour=outcome_colour(outcome),
        emergency=emergency,
        emergency_label=EMERGENCY_LABEL,
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
    )


def screening_summary(*, screening: Screening, prompts: Mapping[str, str]) -> Summary:
    return summarize(
        outcome=screening.outcome,
        emergency=screening.emergency,
        rule_results=screening.rule_results,
        missing=screening.missing,
        suggested_codes=screening.suggested_codes,
        prompts=prompts,
    )


# --------------------------------------------------------------------------------------------
# Preview: the live panel's evaluation of answers not yet saved


@dataclass(frozen=True)
class Preview:
    summary: Summary
    required: frozenset[str]  # questions required now, answered or not (the engine says)


def intake_preview(
    *,
    criteria_set: CriteriaSet,
    answers: Mapping[str, Any],
    as_of: datetime.date,
    date_of_birth: datetime.date | None,
    prompts: Mapping[str, str],
) -> Preview:
    """Screen answers without saving anything (the live panel and the form's first render)."""
    result, _screened = adapters.screen_answers(
        criteria_set, dict(answers), as_of=as_of, date_of_birth=date_of_birth
    )
    summary = summarize(
        outcome=str(result.outcome),
        emergency=result.emergency,
        rule_results=[rule.as_dict() | {"emergency": rule.emergency} for rule in result.rules],
        missing=result.missing,
        suggested_codes=result.suggested_codes,
        prompts=prompts,
    )
    return Preview(summary=summary, required=frozenset(result.required))


# --------------------------------------------------------------------------------------------
# The needs-information list


@dataclass(frozen=True)
class NeedsInfoRow:
    intake: Intake
    requested: bool  # the physician asked (info_requested), else the screening found gaps
    note: str  # the physician's note
    missing: tuple[str, ...]  # prompts of the missing answers
    needed: tuple[str, ...]  # messages of the needs_info rules that hold


def needs_info_rows(*, intakes: list[Intake]) -> list[NeedsInfoRow]:
    """One page of ``needs_info_list`` with what is missing, by prompt (one more query)."""
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
            )
        )
    return rows
