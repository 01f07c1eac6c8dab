"""A stored screening as the pages show it whole: every answer by section, and every rule by
effect with its state, its reason, its source and the values it read.

Shared by the physician's case view, the front desk's result page and their printouts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from intake import history
from intake.explain import values_text
from intake.models import Screening
from screener.engine.types import Effect
from screener.models import AnswerSource, Question

EFFECT_GROUPS: tuple[tuple[Effect, str, str], ...] = (
    (Effect.RED_FLAG, "Red flags", "any that holds makes the case urgent"),
    (Effect.CONTRAINDICATION, "Contraindications", "any that holds contraindicates"),
    (Effect.NEEDS_INFO, "Information needed", "any that holds asks for more information"),
    (Effect.PREREQUISITE, "Prerequisites", "all must hold"),
    (Effect.PATHWAY, "Pathways", "at least one must hold"),
    (Effect.CAUTION, "Cautions", "to review before booking"),
    (Effect.TODO, "Documentation to do", "never changes the outcome"),
)


@dataclass(frozen=True)
class AnswerItem:
    code: str
    prompt: str
    text: str
    answered: bool
    missing: bool  # required and blank
    source: str


@dataclass(frozen=True)
class AnswerSection:
    title: str
    items: list[AnswerItem]


@dataclass(frozen=True)
class RuleItem:
    """One rule's result as every page shows it."""

    code: str
    holds: bool
    state: str  # "holds" / "does not hold"; for a prerequisite "met" / "not met"
    decides: bool  # the state that counts: holding, or failing for a prerequisite
    emergency: bool  # an emergency red flag that holds
    message: str
    source: str
    needs: tuple[str, ...]  # prompts of the blank required questions it names
    values: str  # what the condition read: "pain 4, outpatient minimum 5"
    decided_outcome: bool = False  # among the rules the engine says decided the outcome


@dataclass(frozen=True)
class RuleGroup:
    """Rules of one effect under one heading: every rule of the effect (``rule_groups``: the
    case view, the result page, the printouts) or only those that hold (the summary's
    ``held`` groups, which carry a colour instead of a hint and a count)."""

    effect: str
    title: str
    rules: tuple[RuleItem, ...]
    hint: str = ""  # what the effect does to the outcome
    css: str = ""  # Bootstrap colour of the heading and of each rule's border
    deciding: int = 0  # how many rules of the group are in the state that counts
    deciding_text: str = ""  # "2 holding", "1 not met", or ""


def questions_of_sets(set_ids: set[int]) -> dict[int, list[Question]]:
    """Criteria set id -> its questions in checklist order, for several sets in one query."""
    by_set: dict[int, list[Question]] = {set_id: [] for set_id in set_ids}
    for question in Question.objects.filter(criteria_set_id__in=set_ids).order_by(
        "criteria_set_id", "order", "id"
    ):
        by_set[question.criteria_set_id].append(question)
    return by_set


def answer_sections(questions: list[Question], screening: Screening) -> list[AnswerSection]:
    """Every question of the set with the screening's answer, by section ("not answered")."""
    sections: dict[str, list[AnswerItem]] = {}
    missing = set(screening.missing)
    sources = dict(AnswerSource.choices)
    for question in questions:
        value = screening.answers.get(question.code)
        sections.setdefault(question.section, []).append(
            AnswerItem(
                code=question.code,
                prompt=question.prompt,
                text=history.answer_text(value),
                answered=value is not None,
                missing=question.code in missing,
                source=sources.get(question.answer_source, ""),
            )
        )
    return [AnswerSection(title, items) for title, items in sections.items()]


def rule_state(effect: Effect, holds: bool) -> str:
    if effect == Effect.PREREQUISITE:
        return "met" if holds else "not met"
    return "holds" if holds else "does not hold"


def rule_item(
    rule: Mapping[str, Any],
    prompts: Mapping[str, str],
    labels: Mapping[str, str],
    deciding: Collection[str] = (),
) -> RuleItem:
    """A stored rule result (``adapters.stored_rule_results``) as pages show it: its missing
    answers by prompt and the values it read by label."""
    effect = Effect(rule["effect"])
    holds = bool(rule["holds"])
    return RuleItem(
        code=rule["code"],
        holds=holds,
        state=rule_state(effect, holds),
        decides=holds != (effect == Effect.PREREQUISITE),
        emergency=bool(rule.get("emergency")) and holds,
        message=rule["message"],
        source=rule["source"],
        needs=tuple(prompts.get(code, code) for code in rule.get("needs", ())),
        values=values_text(rule.get("values"), labels),
        decided_outcome=rule["code"] in deciding,
    )


def rule_groups(
    screening: Screening, prompts: dict[str, str], labels: dict[str, str]
) -> list[RuleGroup]:
    """Every rule of the screening by effect, each with its state, the values it read, and
    whether it decided the outcome (as the screening stored it)."""
    decided = set(screening.deciding or ())
    groups = []
    for effect, title, hint in EFFECT_GROUPS:
        rules = tuple(
            rule_item(rule, prompts, labels, decided)
            for rule in screening.rule_results
            if rule["effect"] == effect.value
        )
        if rules:
            deciding = sum(rule.decides for rule in rules)
            state = "not met" if effect == Effect.PREREQUISITE else "holding"
            groups.append(
                RuleGroup(
                    effect=effect.value,
                    title=title,
                    hint=hint,
                    rules=rules,
                    deciding=deciding,
                    deciding_text=f"{deciding} {state}" if deciding else "",
                )
            )
    return groups
