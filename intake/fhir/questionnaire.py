"""A criteria set as a FHIR R4 Questionnaire.

- ``id``: the criteria set's database id; ``url``: ``canonical.questionnaire_url`` (one per
  procedure), ``version``: the criteria version; ``status``: draft, active (published) or
  retired; ``title``: the procedure's name as the version shows it.
- ``item``: one group per section (``structure.item_sections``), each question asked an item
  with ``linkId`` = its code, ``text`` = its prompt, ``type`` from its type, ``answerOption``
  (Codings in the question's code system) for a choice, its bounds as FHIR's ``minValue`` /
  ``maxValue`` extensions, where its answer comes from (``answer-source`` extension), and its
  help text as a ``display`` item inside it shown as help (SDC's ``itemControl`` ``help``).
  Questions the app fills from the patient's record are not items (nobody is asked them; a
  QuestionnaireResponse leaves them out too).
- ``required``: always-required questions; a question required *when* a condition holds is
  ``required`` with the condition as ``enableWhen`` (``conditions.enable_when``: shown and
  required when it holds, hidden otherwise). A condition ``enableWhen`` cannot say leaves the
  item optional and always shown, with the condition's text in the ``required-when``
  extension, and is listed in ``QuestionnaireExport.not_expressed`` (the command prints them).
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.fhir import canonical
from intake.fhir.conditions import AskedQuestion, NotExpressible, enable_when
from intake.fhir.structure import (
    ITEM_TYPES,
    answer_source_extension,
    choice_coding,
    item_sections,
    patient_prompt_extension,
    set_questions,
)
from screener.engine.types import QuestionType, Requirement
from screener.models import CriteriaSet, CriteriaSetStatus, Parameter, Question, plain_number

# A question's help text: a display item inside it, marked as help (SDC); a question's code
# has no dot, so the linkId is never a question's.
HELP_SUFFIX = ".help"
ITEM_CONTROL_EXTENSION = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"

STATUSES = {
    CriteriaSetStatus.DRAFT: "draft",
    CriteriaSetStatus.PUBLISHED: "active",
    CriteriaSetStatus.RETIRED: "retired",
}


@dataclass(frozen=True)
class NotExpressed:
    """A ``required_when`` condition exported as an extension, not as ``enableWhen``."""

    question: str
    condition: str
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.question}: required when `{self.condition}`: not expressed as enableWhen "
            f"({self.reason}); exported as optional with the condition in the required-when "
            "extension"
        )


@dataclass(frozen=True)
class QuestionnaireExport:
    resource: dict
    not_expressed: tuple[NotExpressed, ...]


def questionnaire_export(criteria_set: CriteriaSet) -> QuestionnaireExport:
    """The criteria set as a Questionnaire, and the conditions it could not express."""
    questions = set_questions(criteria_set)
    asked = {
        q.code: AskedQuestion(q.code, QuestionType(q.type), tuple(q.choices))
        for q in questions
        if not q.filled_by_app
    }
    filled_by_app = frozenset(q.code for q in questions if q.filled_by_app)
    parameters = {
        p.name: p.value
        for p in Parameter.objects.filter(criteria_set=criteria_set).only("name", "value")
    }
    not_expressed: list[NotExpressed] = []

    def question_item(question: Question) -> dict:
        item: dict = {
            "linkId": question.code,
            "text": question.prompt,
            "type": ITEM_TYPES[question.type],
        }
        extensions = [answer_source_extension(question)]
        patient_prompt = patient_prompt_extension(question)
        if patient_prompt is not None:
            extensions.append(patient_prompt)
        for url, bound in (
            (canonical.MIN_VALUE_EXTENSION, question.min_value),
            (canonical.MAX_VALUE_EXTENSION, question.max_value),
        ):
            if bound is not None and question.type in (QuestionType.INT, QuestionType.DECIMAL):
                extensions.append({"url": url, **_number_value(question, bound)})
        if question.requirement == Requirement.ALWAYS:
            item["required"] = True
        elif question.requirement == Requirement.WHEN:
            condition = question.required_when.strip()
            try:
                found = enable_when(
                    condition,
                    asked=asked,
                    filled_by_app=filled_by_app,
                    parameters=parameters,
                    coding=lambda code, choice: _bare_coding(criteria_set, code, choice),
                )
            except NotExpressible as exc:
                not_expressed.append(NotExpressed(question.code, condition, exc.reason))
                extensions.append(
                    {"url": canonical.required_when_extension_url(), "valueString": condition}
                )
            else:
                item["required"] = True
                item["enableWhen"] = list(found.conditions)
                if found.behavior:
                    item["enableBehavior"] = found.behavior
        item["extension"] = extensions
        if question.help_text.strip():
            item["item"] = [_help_item(question)]
        if question.type == QuestionType.CHOICE:
            item["answerOption"] = [
                {"valueCoding": choice_coding(criteria_set, question.code, choice)}
                for choice in question.choices
            ]
        return item

    groups = []
    for section in item_sections(q for q in questions if not q.filled_by_app):
        groups.append(
            {
                "linkId": section.link_id,
                "text": section.title,
                "type": "group",
                "item": [question_item(q) for q in section.questions],
            }
        )
    resource: dict = {"resourceType": "Questionnaire"}
    if criteria_set.pk is not None:
        resource["id"] = str(criteria_set.pk)
    resource["url"] = canonical.questionnaire_url(criteria_set)
    resource["version"] = str(criteria_set.version)
    resource["title"] = criteria_set.procedure_name or criteria_set.procedure.name
    resource["status"] = STATUSES.get(criteria_set.status, "unknown")
    resource["subjectType"] = ["Patient"]
    if criteria_set.published_at is not None:
        resource["date"] = criteria_set.published_at.isoformat(timespec="seconds")
    if groups:
        resource["item"] = groups
    return QuestionnaireExport(resource, tuple(not_expressed))


def _help_item(question: Question) -> dict:
    """The question's help text as a ``display`` item shown as help (SDC's itemControl)."""
    return {
        "linkId": f"{question.code}{HELP_SUFFIX}",
        "text": question.help_text.strip(),
        "type": "display",
        "extension": [
            {
                "url": ITEM_CONTROL_EXTENSION,
                "valueCodeableConcept": {
                    "coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "help"}]
                },
            }
        ],
    }


def _number_value(question: Question, bound: object) -> dict:
    text = plain_number(bound)  # type: ignore[arg-type]
    if question.type == QuestionType.INT:
        return {"valueInteger": int(float(text))}
    return {"valueDecimal": float(text)}


def _bare_coding(criteria_set: CriteriaSet, code: str, choice: str) -> dict[str, str]:
    """An ``enableWhen`` answer: system and code (a display there adds nothing)."""
    coding = choice_coding(criteria_set, code, choice)
    return {"system": coding["system"], "code": coding["code"]}
