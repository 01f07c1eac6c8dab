"""Checking a draft as it would be after an edit, before anything is stored.

Admin forms and imports hold unsaved rows; ``spec_from_items`` turns them into the engine's
``CriteriaSpec`` exactly as ``adapters.criteria_spec`` does for stored rows, so
``engine.check_criteria`` can name each problem before a write.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from screener import engine
from screener.models import CriteriaSet, DerivedValue, Parameter, Question, Rule


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _ordered(items: Iterable) -> list:
    return sorted(items, key=lambda item: (item.order or 0, item.pk or 0))


def spec_from_items(
    *,
    procedure_slug: str,
    version: int,
    criteria_set: CriteriaSet,
    questions: Iterable[Question],
    parameters: Iterable[Parameter],
    derived: Iterable[DerivedValue],
    rules: Iterable[Rule],
) -> engine.CriteriaSpec:
    """The engine's view of a set made of (possibly unsaved) rows."""
    return engine.CriteriaSpec(
        procedure=procedure_slug,
        version=version,
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
            )
            for q in _ordered(questions)
        ),
        parameters=tuple(
            engine.ParameterSpec(name=p.name, value=_number(p.value)) for p in _ordered(parameters)
        ),
        derived=tuple(
            engine.DerivedSpec(name=d.name, expression=d.expression) for d in _ordered(derived)
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
            for r in _ordered(rules)
        ),
        cpt_primary_thoracic=criteria_set.cpt_primary_thoracic,
        cpt_primary_lumbar=criteria_set.cpt_primary_lumbar,
        cpt_addon=criteria_set.cpt_addon,
    )


# Problem kind (engine) -> the model whose row it names, and that row's key field.
PROBLEM_KINDS = {
    "question": (Question, "code"),
    "parameter": (Parameter, "name"),
    "derived": (DerivedValue, "name"),
    "rule": (Rule, "code"),
}


def draft_problems(
    criteria_set: CriteriaSet, replaced: dict[type, list] | None = None
) -> list[engine.CriteriaProblem]:
    """Problems of a draft whose stored rows of some models are replaced by ``replaced``."""
    replaced = replaced or {}

    def rows(model: type) -> list:
        if model in replaced:
            return replaced[model]
        return list(model.objects.filter(criteria_set=criteria_set))

    spec = spec_from_items(
        procedure_slug=criteria_set.procedure.slug,
        version=criteria_set.version,
        criteria_set=criteria_set,
        questions=rows(Question),
        parameters=rows(Parameter),
        derived=rows(DerivedValue),
        rules=rows(Rule),
    )
    return engine.check_criteria(spec)
