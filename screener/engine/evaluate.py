"""Compile a criteria set once, then screen any number of cases with it."""

from __future__ import annotations

import ast
import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from screener.engine.expressions import (
    NAN,
    CriteriaInvalid,
    EvaluatorPool,
    blank_value,
    check_criteria,
    names_in,
    names_in_order,
    parse_expression,
)
from screener.engine.types import (
    CANDIDATE_OUTCOMES,
    LEVEL_QUESTION,
    LEVELS_COUNT_QUESTION,
    LUMBOSACRAL_LEVELS,
    MAX_LEVELS_PARAMETER,
    ONSET_QUESTION,
    WEEKS_SINCE_ONSET,
    CriteriaSpec,
    Effect,
    Outcome,
    QuestionSpec,
    Requirement,
    RuleResult,
    RuleSpec,
    ScreeningResult,
)


@dataclass(frozen=True, slots=True)
class _CompiledQuestion:
    spec: QuestionSpec
    blank: Any  # the value a blank answer takes inside expressions
    blank_choices: frozenset[str]
    condition_index: int | None  # for Requirement.WHEN: its condition in `conditions`


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    spec: RuleSpec
    node: ast.expr
    named_questions: tuple[str, ...]  # in checklist order, through derived values too
    reads: tuple[str, ...]  # the names the condition itself uses, in the order written


class CompiledCriteria:
    """A checked criteria set with every expression parsed once. Safe to share across threads."""

    def __init__(self, spec: CriteriaSpec):
        problems = check_criteria(spec)
        if problems:
            raise CriteriaInvalid(problems)
        self.spec = spec
        self.parameters = {p.name: p.value for p in spec.parameters}
        self.derived = tuple((d.name, parse_expression(d.expression)) for d in spec.derived)
        # Several questions often share one requirement condition: each is evaluated once.
        condition_texts = list(
            dict.fromkeys(
                q.required_when.strip() for q in spec.questions if q.requirement == Requirement.WHEN
            )
        )
        self.conditions = tuple(parse_expression(text) for text in condition_texts)
        self.questions = tuple(
            _CompiledQuestion(
                spec=q,
                blank=blank_value(q.type),
                blank_choices=frozenset(q.blank_choices),
                condition_index=(
                    condition_texts.index(q.required_when.strip())
                    if q.requirement == Requirement.WHEN
                    else None
                ),
            )
            for q in spec.questions
        )
        order = {q.code: index for index, q in enumerate(spec.questions)}
        self.rules = tuple(
            _CompiledRule(
                spec=r,
                node=node,
                named_questions=self._named(node, order),
                reads=names_in_order(node),
            )
            for r in spec.rules
            for node in [parse_expression(r.condition)]
        )
        self._pool = EvaluatorPool()

    def _named(self, node: ast.expr, order: Mapping[str, int]) -> tuple[str, ...]:
        """The questions an expression names, directly or through derived values."""
        derived = dict(self.derived)
        found: set[str] = set()
        pending = list(names_in(node))
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in order:
                found.add(name)
            elif name == WEEKS_SINCE_ONSET and ONSET_QUESTION in order:
                found.add(ONSET_QUESTION)
            elif name in derived:
                pending.extend(names_in(derived[name]))
        return tuple(sorted(found, key=order.__getitem__))

    @property
    def procedure(self) -> str:
        return self.spec.procedure

    @property
    def version(self) -> int:
        return self.spec.version


def compile_criteria(spec: CriteriaSpec) -> CompiledCriteria:
    """Check and parse a set once; raise CriteriaInvalid listing every problem."""
    return CompiledCriteria(spec)


def weeks_between(onset: Any, as_of: datetime.date) -> float:
    if isinstance(onset, datetime.date):
        return (as_of - onset).days / 7
    return NAN


def screen(
    compiled: CompiledCriteria, answers: Mapping[str, Any], as_of: datetime.date
) -> ScreeningResult:
    """Screen one case. ``answers`` holds typed values (bool, int, float, str, date) or None.

    Answers are expected to be valid for the set (see ``parse_answers``); codes the set does not
    know are ignored.
    """
    evaluator = compiled._pool.evaluator
    names: dict[str, Any] = dict(compiled.parameters)
    blank: set[str] = set()
    for question in compiled.questions:
        code = question.spec.code
        value = answers.get(code)
        if value is None or value in question.blank_choices:
            blank.add(code)
            names[code] = question.blank
        else:
            names[code] = value
    weeks = weeks_between(answers.get(ONSET_QUESTION), as_of)
    names[WEEKS_SINCE_ONSET] = weeks
    evaluator.names = names

    def evaluate(node: ast.expr) -> Any:
        return evaluator.eval("", previously_parsed=node)

    derived_values = {}
    for name, node in compiled.derived:
        derived_values[name] = names[name] = evaluate(node)

    conditions_hold = [evaluate(node) is True for node in compiled.conditions]
    required = tuple(
        q.spec.code
        for q in compiled.questions
        if q.spec.requirement == Requirement.ALWAYS
        or (q.condition_index is not None and conditions_hold[q.condition_index])
    )
    missing = tuple(code for code in required if code in blank)
    missing_set = set(missing)

    def read(name: str) -> Any:
        return None if name in blank else names[name]

    results = tuple(
        RuleResult(
            code=rule.spec.code,
            effect=rule.spec.effect,
            holds=evaluate(rule.node) is True,
            needs=tuple(c for c in rule.named_questions if c in missing_set),
            message=rule.spec.message,
            source=rule.spec.source,
            emergency=rule.spec.emergency,
            values=tuple((name, read(name)) for name in rule.reads),
        )
        for rule in compiled.rules
    )
    evaluator.names = {}

    outcome, emergency = decide_outcome(results, missing)
    codes = (
        suggested_codes(compiled.spec, answers, compiled.parameters)
        if outcome in CANDIDATE_OUTCOMES
        else ()
    )
    return ScreeningResult(
        procedure=compiled.procedure,
        version=compiled.version,
        outcome=outcome,
        emergency=emergency,
        missing=missing,
        required=required,
        rules=results,
        suggested_codes=codes,
        as_of=as_of,
        weeks_since_onset=None if math.isnan(weeks) else weeks,
        derived=derived_values,
    )


def decide_outcome(
    results: tuple[RuleResult, ...], missing: tuple[str, ...]
) -> tuple[Outcome, bool]:
    """Combine every rule's result by the fixed precedence of effects."""
    holding: dict[Effect, bool] = dict.fromkeys(Effect, False)
    prerequisites_hold = True
    emergency = False
    for result in results:
        if result.holds:
            holding[result.effect] = True
            if result.effect == Effect.RED_FLAG and result.emergency:
                emergency = True
        elif result.effect == Effect.PREREQUISITE:
            prerequisites_hold = False
    if holding[Effect.RED_FLAG]:
        return Outcome.URGENT, emergency
    if holding[Effect.CONTRAINDICATION]:
        return Outcome.CONTRAINDICATED, False
    if missing or holding[Effect.NEEDS_INFO]:
        return Outcome.NEEDS_INFO, False
    if prerequisites_hold and holding[Effect.PATHWAY]:
        if holding[Effect.CAUTION]:
            return Outcome.CANDIDATE_WITH_CAUTIONS, False
        return Outcome.CANDIDATE, False
    return Outcome.CONSERVATIVE, False


def suggested_codes(
    spec: CriteriaSpec, answers: Mapping[str, Any], parameters: Mapping[str, float]
) -> tuple[str, ...]:
    """Primary code by the fracture level, then the add-on once per further level."""
    level = answers.get(LEVEL_QUESTION)
    primary = spec.cpt_primary_lumbar if level in LUMBOSACRAL_LEVELS else spec.cpt_primary_thoracic
    levels = answers.get(LEVELS_COUNT_QUESTION)
    levels = int(levels) if isinstance(levels, int | float) and levels >= 1 else 1
    max_levels = parameters.get(MAX_LEVELS_PARAMETER)
    if max_levels is not None:
        levels = min(levels, max(int(max_levels), 1))
    codes = [primary] if primary else []
    if spec.cpt_addon:
        codes.extend([f"+{spec.cpt_addon.lstrip('+')}"] * (levels - 1))
    return tuple(codes)
