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
from screener.models import AnswerSource, CriteriaSet, Question

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

# Where a question's answer comes from, as the ``answer-source`` extension's code.
SOURCE_CODES: dict[str, str] = {
    AnswerSource.PATIENT: "patient",
    AnswerSource.CHART: "chart",
    AnswerSource.IMAGING: "imaging",
    AnswerSource.CLINICIAN: "clinician",
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


def choice_coding(criteria_set: CriteriaSet, question_code: str, choice: str) -> dict[str, str]:
    """A choice as a Coding in its question's own code system, labelled as the form labels it."""
    return {
        "system": canonical.choice_system(criteria_set, question_code),
        "code": choice,
        "display": choice_label(choice, blank=False),
    }


def answer_source_extension(question: Question) -> dict:
    """Where the question's answer comes from (patient, chart, imaging, clinician)."""
    code = SOURCE_CODES.get(question.answer_source, "patient")
    return {
        "url": canonical.answer_source_extension_url(),
        "valueCoding": {"system": canonical.answer_source_system(), "code": code},
    }


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
        return {key: choice_coding(criteria_set, question.code, typed)}
    if spec.type == QuestionType.DATE:
        return {key: typed.isoformat()}
    return {key: typed}


def patient_prompt_extension(question: Question) -> dict | None:
    """The question as the patient reads it (their own link's wording): sub-extension ``text``,
    and its Spanish as FHIR's translation extension (``lang``, ``content``). Nested rather than
    on ``_valueString``: FHIR allows both, but the validating models (fhir.resources) accept no
    extension on an extension's value. None when the set gives no patient wording."""
    if not question.patient_prompt:
        return None
    parts: list[dict] = [{"url": "text", "valueString": question.patient_prompt}]
    if question.patient_prompt_es:
        parts.append(
            {
                "url": canonical.TRANSLATION_EXTENSION,
                "extension": [
                    {"url": "lang", "valueCode": "es"},
                    {"url": "content", "valueString": question.patient_prompt_es},
                ],
            }
        )
    return {"url": canonical.patient_prompt_extension_url(), "extension": parts}
