"""The one place that turns criteria rows into engine inputs.

Published and retired sets never change, so their compiled form is cached by
(procedure, version) for the life of the process. Drafts are compiled afresh each time.
"""

from __future__ import annotations

import threading
from decimal import Decimal

from screener import engine
from screener.models import CriteriaSet, CriteriaSetStatus

_cache: dict[tuple[str, int], engine.CompiledCriteria] = {}
_cache_lock = threading.Lock()


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def criteria_spec(criteria_set: CriteriaSet) -> engine.CriteriaSpec:
    """The engine's view of a set (three queries: its questions, parameters, derived, rules)."""
    questions = tuple(
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
        )
        for q in criteria_set.question_set.order_by("order", "id")
    )
    return engine.CriteriaSpec(
        procedure=criteria_set.procedure.slug,
        version=criteria_set.version,
        questions=questions,
        parameters=tuple(
            engine.ParameterSpec(name=p.name, value=_number(p.value))
            for p in criteria_set.parameter_set.order_by("order", "id")
        ),
        derived=tuple(
            engine.DerivedSpec(name=d.name, expression=d.expression)
            for d in criteria_set.derivedvalue_set.order_by("order", "id")
        ),
        rules=tuple(
            engine.RuleSpec(
                code=r.code,
                effect=engine.Effect(r.effect),
                condition=r.condition,
                emergency=r.emergency,
                message=r.message,
                source=r.source,
            )
            for r in criteria_set.rule_set.order_by("order", "id")
        ),
        cpt_primary_thoracic=criteria_set.cpt_primary_thoracic,
        cpt_primary_lumbar=criteria_set.cpt_primary_lumbar,
        cpt_addon=criteria_set.cpt_addon,
    )


def compiled_criteria(criteria_set: CriteriaSet) -> engine.CompiledCriteria:
    """The compiled set, cached when it can no longer change. Raises engine.CriteriaInvalid."""
    if criteria_set.status == CriteriaSetStatus.DRAFT:
        return engine.compile_criteria(criteria_spec(criteria_set))
    key = (criteria_set.procedure.slug, criteria_set.version)
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
