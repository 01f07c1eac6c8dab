"""Checking a draft as it would be after an edit, before anything is stored.

Admin forms and imports hold unsaved rows; ``adapters.spec_from_rows`` turns them into the
engine's ``CriteriaSpec`` exactly as ``adapters.criteria_spec`` does for stored rows, so
``engine.check_criteria`` can name each problem before a write.

The whole-set checks of an edit live here too, with no request or response in them: the admin
passes its formsets (``draft_formsets_check``) or the row edited on its own page
(``row_edit_errors``), gets back each problem placed on the row it names, and shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from screener import adapters, engine
from screener.models import (
    CodingRow,
    CriteriaSet,
    DerivedValue,
    DiagnosisCode,
    Parameter,
    Question,
    Rule,
)

# Problem kind (engine) -> the model whose row it names, and that row's key field.
PROBLEM_KINDS = {
    "question": (Question, "code"),
    "parameter": (Parameter, "name"),
    "derived": (DerivedValue, "name"),
    "rule": (Rule, "code"),
    "coding": (CodingRow, ("technique", "region")),
    "diagnosis": (DiagnosisCode, "code"),
}


def row_key(row: Any, key: str | tuple[str, ...]) -> str:
    """A part's key as messages name it: one field, or several joined ("technique / region")."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    if isinstance(key, str):
        return get(key)
    return " / ".join(str(get(name)) for name in key)


# A part's model -> the field that names its row, and the kind of problem that names it.
ROW_KEY = {model: key for model, key in PROBLEM_KINDS.values()}
PROBLEM_KIND = {model: kind for kind, (model, _key) in PROBLEM_KINDS.items()}


def draft_problems(
    criteria_set: CriteriaSet, replaced: dict[type, list] | None = None
) -> list[engine.CriteriaProblem]:
    """Problems of a draft whose stored rows of some models are replaced by ``replaced``."""
    replaced = replaced or {}

    def rows(model: type) -> list:
        if model in replaced:
            return replaced[model]
        return list(model.objects.filter(criteria_set=criteria_set))

    spec = adapters.spec_from_rows(
        procedure_slug=criteria_set.procedure.slug,
        version=criteria_set.version,
        criteria_set=criteria_set,
        questions=rows(Question),
        parameters=rows(Parameter),
        derived=rows(DerivedValue),
        rules=rows(Rule),
        coding=rows(CodingRow),
        diagnoses=rows(DiagnosisCode),
    )
    return engine.check_criteria(spec)


@dataclass(frozen=True)
class RowError:
    """A problem to show on an edited row: on its ``field`` (None: on the row as a whole)."""

    field: str | None
    message: str


@dataclass(frozen=True)
class DraftEditCheck:
    """What an edit of a draft's parts would leave wrong, placed for the edit's forms.

    ``problems``: every problem of the set as the edit leaves it (empty: it checks);
    ``on_rows``: (form, error) for each problem naming a row among the forms;
    ``elsewhere``: the problems naming no row among them (another part, or a row filtered out).
    """

    problems: list[engine.CriteriaProblem]
    on_rows: list[tuple[Any, RowError]]
    elsewhere: list[str]


def draft_formsets_check(criteria_set: CriteriaSet, formsets: Sequence[Any]) -> DraftEditCheck:
    """Check every expression of a draft as its inline formsets would leave it.

    Rows added, edited and deleted in the formsets of parts (questions, parameters, derived
    values, rules, coding rows, diagnosis codes) replace the stored rows; stored rows not among the forms stay. Other formsets
    are ignored. Nothing is checked (no problems) when no part is edited, or when a part's
    formset has errors of its own: those are shown first.
    """
    by_model = {fs.model: fs for fs in formsets if fs.model in ROW_KEY}
    if not by_model or not all(fs.is_valid() for fs in by_model.values()):
        return DraftEditCheck(problems=[], on_rows=[], elsewhere=[])
    replaced: dict[type, list] = {}
    forms_by_key: dict[tuple[type, str], list] = {}
    for model, formset in by_model.items():
        rows = []
        for form in formset.forms:
            if form.instance.pk is None and not form.has_changed():
                continue  # an empty extra row
            if formset.can_delete and formset._should_delete_form(form):
                continue
            rows.append(form.instance)
            key = (model, row_key(form.instance, ROW_KEY[model]))
            forms_by_key.setdefault(key, []).append(form)
        shown = [form.instance.pk for form in formset.initial_forms]
        rows += list(model.objects.filter(criteria_set=criteria_set).exclude(pk__in=shown))
        replaced[model] = rows
    problems = draft_problems(criteria_set, replaced)
    on_rows: list[tuple[Any, RowError]] = []
    elsewhere: list[str] = []
    for problem in problems:
        model = PROBLEM_KINDS.get(problem.kind, (None,))[0]
        forms = forms_by_key.get((model, problem.code), [])
        on_rows += [(form, RowError(problem.field, str(problem))) for form in forms]
        if not forms:
            elsewhere.append(str(problem))
    return DraftEditCheck(problems=problems, on_rows=on_rows, elsewhere=elsewhere)


def row_edit_errors(
    row: Question | Parameter | DerivedValue | Rule | CodingRow | DiagnosisCode,
) -> list[RowError]:
    """Problems of the row's draft with ``row`` as edited (unsaved) in place of its stored self.

    A problem naming the row goes on the field it names; any other problem of the set is an
    error of the row as a whole ("The set would not check: ..."). Empty for a row of another
    kind (a golden case) or when the set checks.
    """
    model = type(row)
    if model not in ROW_KEY:
        return []
    criteria_set = row.criteria_set
    others = [r for r in model.objects.filter(criteria_set=criteria_set) if r.pk != row.pk]
    key = row_key(row, ROW_KEY[model])
    errors = []
    for problem in draft_problems(criteria_set, {model: [*others, row]}):
        if problem.kind == PROBLEM_KIND[model] and problem.code == key:
            errors.append(RowError(problem.field, str(problem)))
        else:
            errors.append(RowError(None, f"The set would not check: {problem}"))
    return errors
