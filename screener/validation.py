"""Checking a draft as it would be after an edit, before anything is stored.

Admin forms and imports hold unsaved rows; ``spec_from_items`` turns them into the engine's
``CriteriaSpec`` exactly as ``adapters.criteria_spec`` does for stored rows, so
``engine.check_criteria`` can name each problem before a write.
"""

from __future__ import annotations

from collections.abc import Iterable

from screener import adapters, engine
from screener.models import CodingRow, CriteriaSet, DerivedValue, Parameter, Question, Rule


def spec_from_items(
    *,
    procedure_slug: str,
    version: int,
    criteria_set: CriteriaSet,
    questions: Iterable[Question],
    parameters: Iterable[Parameter],
    derived: Iterable[DerivedValue],
    rules: Iterable[Rule],
    coding: Iterable[CodingRow] = (),
) -> engine.CriteriaSpec:
    """The engine's view of a set made of (possibly unsaved) rows."""
    return adapters.spec_from_rows(
        procedure_slug=procedure_slug,
        version=version,
        criteria_set=criteria_set,
        questions=questions,
        parameters=parameters,
        derived=derived,
        rules=rules,
        coding=coding,
    )


# Problem kind (engine) -> the model whose row it names, and that row's key field.
PROBLEM_KINDS = {
    "question": (Question, "code"),
    "parameter": (Parameter, "name"),
    "derived": (DerivedValue, "name"),
    "rule": (Rule, "code"),
    "coding": (CodingRow, ("technique", "region")),
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
        coding=rows(CodingRow),
    )
    return engine.check_criteria(spec)
