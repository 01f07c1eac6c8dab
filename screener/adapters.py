"""The one place that turns criteria rows into engine inputs.

Published and retired sets never change, so their compiled form is cached by the set's id for
the life of the process. Drafts are compiled afresh each time.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from screener import engine
from screener.models import (
    CodingRow,
    CriteriaSet,
    CriteriaSetStatus,
    DerivedValue,
    DiagnosisCode,
    Parameter,
    PatientFact,
    Question,
    Rule,
)

_cache: dict[int, engine.CompiledCriteria] = {}
_fills_cache: dict[int, dict[str, str]] = {}
_cache_lock = threading.Lock()


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _ordered(rows: Iterable[Any]) -> list[Any]:
    """Set order; unsaved rows (no pk yet) sort by their order alone."""
    return sorted(rows, key=lambda row: (row.order or 0, row.pk or 0))


def spec_from_rows(
    *,
    criteria_set: CriteriaSet,
    questions: Iterable[Question],
    parameters: Iterable[Parameter],
    derived: Iterable[DerivedValue],
    rules: Iterable[Rule],
    coding: Iterable[CodingRow] = (),
    diagnoses: Iterable[DiagnosisCode] = (),
    procedure_slug: str | None = None,
    version: int | None = None,
) -> engine.CriteriaSpec:
    """The engine's view of a set made of rows, stored or not yet saved (admin forms, imports)."""
    return engine.CriteriaSpec(
        procedure=procedure_slug or criteria_set.procedure.slug,
        version=version if version is not None else criteria_set.version,
        questions=tuple(
            engine.QuestionSpec(
                code=q.code,
                type=engine.QuestionType(q.type),
                requirement=engine.Requirement(q.requirement),
                required_when=q.required_when,
                min_value=_number(q.min_value),
                max_value=_number(q.max_value),
                choices=tuple(q.choices or ()),
                blank_choices=tuple(q.blank_choices or ()),
                section=q.section,
                prompt=q.prompt,
                label=q.label,
                filled_by_app=bool(q.filled_from),
            )
            for q in _ordered(questions)
        ),
        parameters=tuple(
            engine.ParameterSpec(name=p.name, value=_number(p.value), label=p.label)
            for p in _ordered(parameters)
        ),
        derived=tuple(
            engine.DerivedSpec(
                name=d.name, expression=d.expression, label=d.label, weeks_since=d.weeks_since
            )
            for d in _ordered(derived)
        ),
        rules=tuple(
            engine.RuleSpec(
                code=r.code,
                effect=engine.Effect(r.effect),
                condition=r.condition,
                emergency=r.emergency,
                message=r.message,
                source=r.source,
                coverage_criterion=r.coverage_criterion,
                coverage_group=r.coverage_group,
                payer_wording=r.payer_wording,
                payer_citation=r.payer_citation,
            )
            for r in _ordered(rules)
        ),
        coding=tuple(
            engine.CodingSpec(
                technique=c.technique,
                technique_label=c.technique_label,
                region=c.region,
                levels=tuple(c.levels or ()),
                primary=c.primary_code,
                addon=c.addon_code,
                cap_parameter=c.cap_parameter,
            )
            for c in _ordered(coding)
        ),
        level_question=criteria_set.coding_level_question,
        count_question=criteria_set.coding_count_question,
        diagnoses=tuple(
            engine.DiagnosisSpec(
                code=d.code, description=d.description, applies_when=d.applies_when
            )
            for d in _ordered(diagnoses)
        ),
    )


def criteria_spec(criteria_set: CriteriaSet) -> engine.CriteriaSpec:
    """The engine's view of a stored set (six queries: questions, parameters, derived, rules,
    coding table, diagnosis codes)."""
    return spec_from_rows(
        criteria_set=criteria_set,
        questions=criteria_set.question_set.all(),
        parameters=criteria_set.parameter_set.all(),
        derived=criteria_set.derivedvalue_set.all(),
        rules=criteria_set.rule_set.all(),
        coding=criteria_set.codingrow_set.all(),
        diagnoses=criteria_set.diagnosiscode_set.all(),
    )


def compiled_criteria(criteria_set: CriteriaSet) -> engine.CompiledCriteria:
    """The compiled set, cached when it can no longer change. Raises engine.CriteriaInvalid."""
    if criteria_set.status == CriteriaSetStatus.DRAFT:
        return engine.compile_criteria(criteria_spec(criteria_set))
    key = criteria_set.pk  # a published set's row never changes; no join to read its key
    compiled = _cache.get(key)
    if compiled is None:
        compiled = engine.compile_criteria(criteria_spec(criteria_set))
        with _cache_lock:
            _cache[key] = compiled
    return compiled


def clear_cache() -> None:
    """For tests that build several sets with the same key in one process."""
    with _cache_lock:
        _cache.clear()
        _fills_cache.clear()


# --------------------------------------------------------------------------------------------
# Answers as stored (JSON values, as `manage.py screen` takes them) <-> engine answers


def age_on(date_of_birth: datetime.date, as_of: datetime.date) -> int:
    """Whole years of age on a date."""
    before_birthday = (as_of.month, as_of.day) < (date_of_birth.month, date_of_birth.day)
    return as_of.year - date_of_birth.year - before_birthday


@dataclass(frozen=True)
class PatientRecord:
    """The facts of a patient's record that fill the questions a set marks filled by the app
    (``Question.filled_from``): the date of birth (the age) and the recorded sex."""

    date_of_birth: datetime.date | None = None
    sex: str | None = None


def app_filled_questions(criteria_set: CriteriaSet) -> dict[str, str]:
    """Question code -> the patient fact that fills it (``PatientFact``), cached like the
    compiled set when the set can no longer change."""
    if criteria_set.status != CriteriaSetStatus.DRAFT and criteria_set.pk in _fills_cache:
        return _fills_cache[criteria_set.pk]
    fills = dict(
        criteria_set.question_set.exclude(filled_from=PatientFact.ASKED)
        .order_by("order", "pk")
        .values_list("code", "filled_from")
    )
    if criteria_set.status != CriteriaSetStatus.DRAFT:
        with _cache_lock:
            _fills_cache[criteria_set.pk] = fills
    return fills


def app_filled_answers(
    fills: Mapping[str, str], patient: PatientRecord | None, *, as_of: datetime.date
) -> dict[str, Any]:
    """The answers the app fills from the patient's record (stored JSON values), by code.

    The age in whole years on the screening date; the recorded sex as it is written. A fact the
    record lacks fills nothing (the question stays blank).
    """
    if patient is None:
        return {}
    filled: dict[str, Any] = {}
    for code, fact in fills.items():
        if fact == PatientFact.AGE and patient.date_of_birth is not None:
            filled[code] = age_on(patient.date_of_birth, as_of)
        elif fact == PatientFact.SEX and patient.sex:
            filled[code] = patient.sex
    return filled


def typed_answers(
    spec: engine.CriteriaSpec,
    stored: dict[str, Any],
    *,
    as_of: datetime.date,
    filled: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Stored answers typed for the engine, with the answers the app fills (``filled``, from
    ``app_filled_answers``) in place of any stored ones.

    Returns (answers, invalid): an answer the set does not accept (an unknown code after a
    criteria change, a value now out of range) is left out and listed in ``invalid`` with why,
    so a re-screen never fails on old data and never hides it either.
    """
    questions = {q.code: q for q in spec.questions}
    typed: dict[str, Any] = {}
    invalid: dict[str, str] = {}
    for code, value in stored.items():
        if filled and code in filled:
            continue
        question = questions.get(code)
        if question is None:
            invalid[code] = "not a question of this criteria set"
            continue
        try:
            typed[code] = engine.parse_answer(question, value)
        except ValueError as exc:
            invalid[code] = str(exc)
            continue
        late = engine.date_after_screening_error(typed[code], as_of)
        if late:
            del typed[code]
            invalid[code] = late
    for code, value in (filled or {}).items():
        question = questions.get(code)
        if question is not None:
            typed[code] = _filled_value(question, value)
    return typed, invalid


def _filled_value(question: engine.QuestionSpec, value: Any) -> Any:
    """A fact of the record as the engine takes it: a choice the question does not list, or
    lists as counting as blank, is blank; the age is taken as the record gives it (as the app
    always has: a record's age is not checked against the question's range)."""
    if question.type == engine.QuestionType.CHOICE:
        return value if value in question.choices and value not in question.blank_choices else None
    return value


def stored_answers(typed: dict[str, Any]) -> dict[str, Any]:
    """Engine answers back to JSON values (dates as ISO text); blanks are left out."""
    return {
        code: value.isoformat() if isinstance(value, datetime.date) else value
        for code, value in typed.items()
        if value is not None
    }


def stored_rule_results(result: engine.ScreeningResult) -> list[dict[str, Any]]:
    """Every rule's result as a screening stores it: the ``screen`` JSON plus ``emergency``.

    ``values`` is stored as [name, value] pairs: PostgreSQL's jsonb does not keep the order of
    an object's keys, and the order is the one the condition names them in.
    """
    # ``RuleResult.as_dict`` with ``values`` as pairs and ``emergency`` added, built directly:
    # the same dict (keys in the same order) for half the time (measured: seeding, re-screen).
    json_value = engine.json_value
    return [
        {
            "code": rule.code,
            "effect": str(rule.effect),
            "holds": rule.holds,
            "needs": list(rule.needs),
            "message": rule.message,
            "source": rule.source,
            "values": [[name, json_value(value)] for name, value in rule.values],
            "emergency": rule.emergency,
        }
        for rule in result.rules
    ]


def stored_result(result: engine.ScreeningResult) -> dict[str, Any]:
    """The fields a screening stores of a result (its answers, date and set aside): the outcome,
    every rule's result, the codes, and the reasons that decided it, so pages read them back
    without evaluating anything again."""
    return {
        "outcome": str(result.outcome),
        "emergency": result.emergency,
        "missing": list(result.missing),
        "rule_results": stored_rule_results(result),
        "suggested_codes": list(result.suggested_codes),
        "deciding": list(result.deciding),
        "key_reason": result.key_reason,
    }


def diagnosis_codes(
    criteria_set: CriteriaSet,
    stored: dict[str, Any],
    *,
    as_of: datetime.date,
    patient: PatientRecord | None = None,
) -> tuple[engine.DiagnosisSpec, ...]:
    """The set's diagnosis codes suggested for stored answers (``engine.suggested_diagnoses``),
    with the questions the app fills filled from the patient's record, as a screening sees
    them; answers the set does not accept are left out, as ``screen_answers`` leaves them."""
    compiled = compiled_criteria(criteria_set)
    filled = app_filled_answers(app_filled_questions(criteria_set), patient, as_of=as_of)
    typed, _invalid = typed_answers(compiled.spec, stored, as_of=as_of, filled=filled)
    return engine.suggested_diagnoses(compiled, typed, as_of)


def screen_answers(
    criteria_set: CriteriaSet,
    stored: dict[str, Any],
    *,
    as_of: datetime.date,
    patient: PatientRecord | None = None,
    technique: str | None = None,
) -> tuple[engine.ScreeningResult, dict[str, Any]]:
    """Screen stored answers under a set, with the questions the app fills filled from the
    patient's record; returns the result and the answers screened."""
    compiled = compiled_criteria(criteria_set)
    filled = app_filled_answers(app_filled_questions(criteria_set), patient, as_of=as_of)
    typed, _invalid = typed_answers(compiled.spec, stored, as_of=as_of, filled=filled)
    result = engine.screen(compiled, typed, as_of, technique=technique)
    return result, stored_answers(typed)
