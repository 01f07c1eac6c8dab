"""Compile a criteria set once, then screen any number of cases with it."""

from __future__ import annotations

import ast
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from types import CodeType
from typing import Any

from screener.engine.expressions import (
    EVAL_GLOBALS,
    NAN,
    CriteriaInvalid,
    blank_value,
    check_criteria,
    compile_expression,
    names_in,
    names_in_order,
    parse_expression,
)
from screener.engine.types import (
    CANDIDATE_OUTCOMES,
    NO_PATHWAY_REASON,
    CodingSpec,
    CriteriaSpec,
    DiagnosisSpec,
    Effect,
    Outcome,
    QuestionSpec,
    Requirement,
    RuleResult,
    RuleSpec,
    ScreeningResult,
    rule_result,
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
    code: CodeType  # the node as bytecode (``expressions.compile_expression``)
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
        # (name, parsed expression or None, the date question it counts weeks since or "")
        self.derived = tuple(
            (d.name, None if d.weeks_since else parse_expression(d.expression), d.weeks_since)
            for d in spec.derived
        )
        # Several questions often share one requirement condition: each is evaluated once.
        condition_texts = list(
            dict.fromkeys(
                q.required_when.strip() for q in spec.questions if q.requirement == Requirement.WHEN
            )
        )
        self.conditions = tuple(parse_expression(text) for text in condition_texts)
        self.condition_codes = tuple(compile_expression(node) for node in self.conditions)
        self.derived_codes = tuple(
            None if node is None else compile_expression(node) for _, node, _ in self.derived
        )
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
                code=compile_expression(node),
                named_questions=self._named(node, order),
                reads=names_in_order(node),
            )
            for r in spec.rules
            for node in [parse_expression(r.condition)]
        )
        # (diagnosis, its condition as bytecode, or None: always suggested)
        self.diagnoses = tuple(
            (
                d,
                compile_expression(parse_expression(d.applies_when))
                if d.applies_when.strip()
                else None,
            )
            for d in spec.diagnoses
        )

    def _named(self, node: ast.expr, order: Mapping[str, int]) -> tuple[str, ...]:
        """The questions an expression names, directly or through derived values."""
        derived = {name: (node, weeks_since) for name, node, weeks_since in self.derived}
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
            elif name in derived:
                expression, weeks_since = derived[name]
                pending.extend([weeks_since] if weeks_since else names_in(expression))
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
    compiled: CompiledCriteria,
    answers: Mapping[str, Any],
    as_of: datetime.date,
    *,
    technique: str | None = None,
) -> ScreeningResult:
    """Screen one case. ``answers`` holds typed values (bool, int, float, str, date) or None.

    Answers are expected to be valid for the set (see ``parse_answers``); codes the set does not
    know are ignored. The suggested codes are those of ``technique`` (one of the set's coding
    table), else of the table's first technique.
    """
    names, blank, derived_values = _expression_names(compiled, answers, as_of)
    conditions_hold = [
        eval(code, EVAL_GLOBALS, names) is True  # checked; no builtins
        for code in compiled.condition_codes
    ]
    required = tuple(
        q.spec.code
        for q in compiled.questions
        if q.spec.requirement == Requirement.ALWAYS
        or (q.condition_index is not None and conditions_hold[q.condition_index])
    )
    not_needed = tuple(
        q.spec.code
        for q in compiled.questions
        if q.condition_index is not None and not conditions_hold[q.condition_index]
    )
    missing = tuple(code for code in required if code in blank)
    missing_set = set(missing)

    # What each rule read, as the answers are (None for a blank one): the rules' values.
    read = {name: None if name in blank else value for name, value in names.items()}
    results = tuple(
        [
            rule_result(
                rule.spec.code,
                rule.spec.effect,
                eval(rule.code, EVAL_GLOBALS, names) is True,  # checked; no builtins
                (
                    tuple([c for c in rule.named_questions if c in missing_set])
                    if missing_set
                    else ()
                ),
                rule.spec.message,
                rule.spec.source,
                rule.spec.emergency,
                tuple([(name, read[name]) for name in rule.reads]),
            )
            for rule in compiled.rules
        ]
    )

    outcome, emergency = decide_outcome(results, missing)
    technique = technique or next(iter(compiled.spec.techniques()), "")
    codes = (
        suggested_codes(compiled.spec, answers, compiled.parameters, technique)
        if outcome in CANDIDATE_OUTCOMES
        else ()
    )
    deciding = deciding_rules(outcome, results)
    return ScreeningResult(
        procedure=compiled.procedure,
        version=compiled.version,
        outcome=outcome,
        emergency=emergency,
        missing=missing,
        required=required,
        not_needed=not_needed,
        rules=results,
        suggested_codes=codes,
        as_of=as_of,
        derived=derived_values,
        deciding=deciding,
        key_reason=key_reason(compiled.spec, outcome, results, deciding, missing),
        technique=technique,
    )


def _expression_names(
    compiled: CompiledCriteria, answers: Mapping[str, Any], as_of: datetime.date
) -> tuple[dict[str, Any], set[str], dict[str, float | bool]]:
    """What expressions see for these answers: every parameter, answer (a blank one as its
    type's blank) and derived value by name; the blank questions; the derived values."""
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

    derived_values = {}
    for (name, _node, weeks_since), derived_code in zip(
        compiled.derived, compiled.derived_codes, strict=True
    ):
        if derived_code is None:
            value = weeks_between(answers.get(weeks_since), as_of)
        else:
            value = eval(derived_code, EVAL_GLOBALS, names)  # checked; no builtins
        derived_values[name] = names[name] = value
    return names, blank, derived_values


def suggested_diagnoses(
    compiled: CompiledCriteria, answers: Mapping[str, Any], as_of: datetime.date
) -> tuple[DiagnosisSpec, ...]:
    """The set's diagnosis codes whose ``applies_when`` holds for these answers (a blank
    condition always does), in set order.

    Answers are typed as for ``screen``, and conditions see what rules see: the same blank
    semantics, parameters and derived values (weeks since a date counted to ``as_of``). The
    codes are suggestions for the physician, whatever the outcome.
    """
    names = _expression_names(compiled, answers, as_of)[0]
    return tuple(
        diagnosis
        for diagnosis, condition in compiled.diagnoses
        if condition is None or eval(condition, EVAL_GLOBALS, names) is True  # checked
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


def deciding_rules(outcome: Outcome, results: tuple[RuleResult, ...]) -> tuple[str, ...]:
    """The rules that decided the outcome, in the order of precedence: the holding red flags
    (emergencies first), contraindications or information rules; for conservative care the
    failed prerequisites, or the pathways none of which held; for candidates the holding cautions,
    then the holding pathways. Missing answers decide ``needs_info`` too, but are not rules."""

    def codes(effect: Effect, holds: bool = True) -> list[str]:
        return [r.code for r in results if r.effect == effect and r.holds == holds]

    if outcome == Outcome.URGENT:
        flags = [r for r in results if r.effect == Effect.RED_FLAG and r.holds]
        return tuple(r.code for r in sorted(flags, key=lambda r: not r.emergency))
    if outcome == Outcome.CONTRAINDICATED:
        return tuple(codes(Effect.CONTRAINDICATION))
    if outcome == Outcome.NEEDS_INFO:
        return tuple(codes(Effect.NEEDS_INFO))
    if outcome == Outcome.CONSERVATIVE:
        return tuple(codes(Effect.PREREQUISITE, holds=False) or codes(Effect.PATHWAY, False))
    return tuple(codes(Effect.CAUTION) + codes(Effect.PATHWAY))


def key_reason(
    spec: CriteriaSpec,
    outcome: Outcome,
    results: tuple[RuleResult, ...],
    deciding: tuple[str, ...],
    missing: tuple[str, ...],
) -> str:
    """The one line a physician reads first: the first deciding rule's message, or the first
    missing answer (before information rules), or that no pathway is met; nothing for a plain
    candidate (the pathways are the case view's to show)."""
    messages = {r.code: r.message for r in results}
    first = messages[deciding[0]] if deciding else ""
    if outcome == Outcome.NEEDS_INFO and missing:
        question = spec.question(missing[0])
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        return f"Missing: {question.prompt if question else missing[0]}{more}"
    if outcome == Outcome.CONSERVATIVE and not any(
        r.effect == Effect.PREREQUISITE and not r.holds for r in results
    ):
        return NO_PATHWAY_REASON
    if outcome == Outcome.CANDIDATE:
        return ""
    return first


def _coding_row(
    spec: CriteriaSpec, answers: Mapping[str, Any], technique: str
) -> CodingSpec | None:
    """The technique's row for the answered level: the row listing it, else the first row."""
    rows = [row for row in spec.coding if row.technique == technique]
    level = answers.get(spec.level_question) if spec.level_question else None
    for row in rows:
        if level is not None and level in row.levels:
            return row
    return rows[0] if rows else None


def suggested_codes(
    spec: CriteriaSpec,
    answers: Mapping[str, Any],
    parameters: Mapping[str, float],
    technique: str,
) -> tuple[str, ...]:
    """From the coding table: the primary code of the technique's row for the answered level,
    then its add-on once per further level (the count question; one level when blank), at most
    the row's cap parameter of levels in all."""
    row = _coding_row(spec, answers, technique)
    if row is None:
        return ()
    count = answers.get(spec.count_question) if spec.count_question else None
    levels = int(count) if isinstance(count, int | float) and count >= 1 else 1
    cap = parameters.get(row.cap_parameter) if row.cap_parameter else None
    if cap is not None:
        levels = min(levels, max(int(cap), 1))
    codes = [row.primary] if row.primary else []
    if row.addon:
        codes.extend([f"+{row.addon.lstrip('+')}"] * (levels - 1))
    return tuple(codes)
