"""A criteria set's questions as FHIR items, and a stored answer as its typed ``answer``.

The Questionnaire and every QuestionnaireResponse share this shape, so a response always
matches its Questionnaire: one group item per section, in checklist order (``linkId``
``section-1``, ``section-2``, ...; ``text`` the section's title), holding one item per question
(``linkId`` = the question's code, ``text`` = its prompt).

Answer types follow the question types: ``bool`` -> ``valueBoolean``, ``int`` ->
``valueInteger``, ``decimal`` -> ``valueDecimal``, ``choice`` -> ``valueCoding`` (the choice as
the code, in the question's own code system, ``canonical.choice_system``), ``date`` ->
``valueDate``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from intake.fhir import canonical
from screener import engine
from screener.answer_text import choice_label
from screener.engine.types import QuestionSpec, QuestionType
from screener.models import CriteriaSet, Question

SECTION_LINK_PREFIX = "section-"

# The answer element each question type gives (the Questionnaire's item.type is beside it).
ANSWER_KEYS: dict[str, str] = {
    QuestionType.BOOL: "valueBoolean",
    QuestionType.INT: "valueInteger",
    QuestionType.DECIMAL: "valueDecimal",
    QuestionType.CHOICE: "valueCoding",
    QuestionType.DATE: "valueDate",
}
ITEM_TYPES: dict[str, str] = {
    QuestionType.BOOL: "boolean",
    QuestionType.INT: "integer",
    QuestionType.DECIMAL: "decimal",
    QuestionType.CHOICE: "choice",
    QuestionType.DATE: "date",
}


@dataclass(frozen=True)
class ItemSection:
    link_id: str
    title: str
    questions: tuple[Question, ...]


def item_sections(questions: Iterable[Question]) -> list[ItemSection]:
    """Questions (in checklist order) grouped by section, sections in order of first use."""
    grouped: dict[str, list[Question]] = {}
    for question in questions:
        grouped.setdefault(question.section, []).append(question)
    return [
        ItemSection(f"{SECTION_LINK_PREFIX}{number}", title, tuple(members))
        for number, (title, members) in enumerate(grouped.items(), 1)
    ]


def set_questions(criteria_set: CriteriaSet) -> list[Question]:
    """A criteria set's questions in checklist order."""
    return list(criteria_set.question_set.order_by("order", "id"))


def answer_element(criteria_set: CriteriaSet, question: Question, value: Any) -> dict | None:
    """A stored JSON answer as a QuestionnaireResponse ``answer``; None when it is blank or
    when it does not fit the question's type (it cannot be expressed as that type)."""
    spec = QuestionSpec(
        code=question.code, type=QuestionType(question.type), choices=tuple(question.choices)
    )
    try:
        typed = engine.parse_answer(spec, value)
    except ValueError:
        return None
    if typed is None:
        return None
    key = ANSWER_KEYS[spec.type]
    if spec.type == QuestionType.CHOICE:
        return {
            key: {
                "system": canonical.choice_system(criteria_set, question.code),
                "code": typed,
                "display": choice_label(typed, blank=False),
            }
        }
    if spec.type == QuestionType.DATE:
        return {key: typed.isoformat()}
    return {key: typed}
