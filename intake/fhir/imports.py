"""A QuestionnaireResponse read back as a draft intake (``manage.py import_fhir_response``,
``POST /fhir/QuestionnaireResponse``).

``intake_import_fhir_response`` checks the whole resource first and stops at nothing
half-done: it is one transaction, so any error leaves no intake behind. What is checked, each
error naming the element or the item (``FhirImportError.location``):

- the text is JSON, an object, with ``resourceType`` QuestionnaireResponse (400);
- ``questionnaire`` is one of this clinic's Questionnaires (``<base>/Questionnaire/<slug>``,
  optionally ``|<version>``) for a procedure that exists, and a version it names exists (422);
- the patient the response names (an MRN identifier on ``subject`` or on the contained Patient
  ``subject`` points at), when it names one, is the patient given (422);
- every item is a group holding items, or a question of the criteria set the draft is started
  under (the newest published version), not one the app fills from the patient's record; at
  most one answer each, of the element its type calls for (``structure.ANSWER_KEYS``), a choice
  in the question's own code system; and the values pass the intake's own checks (ranges,
  choices, no date after today) (422);
- the patient has no draft for the procedure already: its answers are not overwritten (409).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from intake.fhir import canonical
from intake.fhir.structure import ANSWER_KEYS, set_questions
from intake.models import Intake, Patient
from intake.services.intakes import intake_save_draft, intake_start, validate_answer_changes
from screener import selectors
from screener.engine.types import QuestionType
from screener.models import CriteriaSet, Procedure, Question

MALFORMED = 400
NOT_FOUND = 404
CONFLICT = 409
UNPROCESSABLE = 422

VALUE_WORDS = {
    "valueBoolean": "true or false",
    "valueInteger": "a whole number",
    "valueDecimal": "a number",
    "valueCoding": "a Coding of one of its choices",
    "valueDate": "a date",
}


class FhirImportError(Exception):
    """A resource that cannot be imported. ``location`` names the element or item
    (``item pain``, ``questionnaire``); ``status`` is the HTTP status the API answers with."""

    def __init__(self, location: str, message: str, status: int = UNPROCESSABLE):
        self.location = location
        self.message = message
        self.status = status
        super().__init__(f"{location}: {message}" if location else message)


def parse_resource(text: str | bytes) -> dict[str, Any]:
    """The JSON text as a QuestionnaireResponse object; raises FhirImportError (400)."""
    try:
        resource = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirImportError("", f"malformed JSON: {exc}", MALFORMED) from None
    if not isinstance(resource, dict):
        raise FhirImportError("", "expected a JSON object (a FHIR resource)", MALFORMED)
    kind = resource.get("resourceType")
    if kind != "QuestionnaireResponse":
        raise FhirImportError(
            "resourceType",
            f"expected QuestionnaireResponse, got {_show(kind)}",
            MALFORMED,
        )
    return resource


def response_procedure(resource: Mapping[str, Any]) -> tuple[Procedure, int | None]:
    """The procedure and the version (None: not named) the response's ``questionnaire`` names."""
    reference = resource.get("questionnaire")
    if not isinstance(reference, str) or not reference:
        raise FhirImportError("questionnaire", "missing: name the Questionnaire answered")
    url, _, version_text = reference.partition("|")
    slug = canonical.questionnaire_slug(url)
    procedure = selectors.procedure_by_slug(slug) if slug else None
    if procedure is None:
        raise FhirImportError(
            "questionnaire",
            f"{_show(url)} is not one of this clinic's Questionnaires "
            f"({canonical.base()}/Questionnaire/<procedure>)",
        )
    version = None
    if version_text:
        if not version_text.isdigit() or (
            selectors.criteria_set_by_version(procedure, int(version_text)) is None
        ):
            raise FhirImportError(
                "questionnaire", f"{procedure.slug} has no version {_show(version_text)}"
            )
        version = int(version_text)
    return procedure, version


def response_patient_mrn(resource: Mapping[str, Any]) -> str | None:
    """The MRN the response names for its subject: an identifier of the MRN system on
    ``subject``, or on the contained Patient ``subject`` points at (None: it names none)."""
    subject = resource.get("subject")
    if subject is None:
        return None
    if not isinstance(subject, dict):
        raise FhirImportError("subject", "expected a Reference")
    identifier = subject.get("identifier")
    if identifier is not None:
        return _mrn_of([identifier], "subject.identifier")
    reference = subject.get("reference")
    if isinstance(reference, str) and reference.startswith("#"):
        for contained in resource.get("contained") or []:
            if (
                isinstance(contained, dict)
                and contained.get("resourceType") == "Patient"
                and contained.get("id") == reference[1:]
            ):
                return _mrn_of(contained.get("identifier") or [], "contained Patient")
        raise FhirImportError("subject", f"no contained Patient {_show(reference)}")
    return None


def _mrn_of(identifiers: Any, location: str) -> str:
    if isinstance(identifiers, list):
        for identifier in identifiers:
            if (
                isinstance(identifier, dict)
                and identifier.get("system") == canonical.mrn_system()
                and isinstance(identifier.get("value"), str)
                and identifier["value"]
            ):
                return identifier["value"]
    raise FhirImportError(location, f"no identifier of the MRN system {canonical.mrn_system()}")


def response_answers(resource: Mapping[str, Any], criteria_set: CriteriaSet) -> dict[str, Any]:
    """Question code -> JSON value, as the intake stores it, of every answered item; raises
    FhirImportError naming the first item at fault (see the module)."""
    questions = {q.code: q for q in set_questions(criteria_set)}
    answers: dict[str, Any] = {}
    for item in _question_items(resource.get("item"), "item"):
        link_id = item["linkId"]
        location = f"item {link_id}"
        question = questions.get(link_id)
        if question is None:
            raise FhirImportError(location, f"not a question of {criteria_set}")
        if question.filled_by_app:
            raise FhirImportError(location, "is filled by the app from the patient's record")
        if link_id in answers:
            raise FhirImportError(location, "answered twice")
        answers[link_id] = _answer_value(item, question, criteria_set, location)
    blank = [code for code, value in answers.items() if value is None]
    for code in blank:
        del answers[code]
    return answers


def _question_items(items: Any, location: str) -> Iterator[dict[str, Any]]:
    """The items that answer questions, groups opened (depth first, in order)."""
    if items is None:
        return
    if not isinstance(items, list):
        raise FhirImportError(location, "expected a list of items")
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("linkId"), str):
            raise FhirImportError(location, "each item needs a linkId")
        if "item" in item and "answer" not in item:
            yield from _question_items(item["item"], f"item {item['linkId']}")
        else:
            yield item


def _answer_value(
    item: Mapping[str, Any], question: Question, criteria_set: CriteriaSet, location: str
) -> Any:
    answers = item.get("answer")
    if answers is None or answers == []:
        return None
    if not isinstance(answers, list) or len(answers) != 1:
        count = len(answers) if isinstance(answers, list) else "not a list of"
        raise FhirImportError(location, f"one answer expected, got {count} answers")
    answer = answers[0]
    if not isinstance(answer, dict):
        raise FhirImportError(location, "an answer is an object with one value[x]")
    if answer.get("item"):
        raise FhirImportError(location, "answers hold no nested items in this Questionnaire")
    expected = ANSWER_KEYS[question.type]
    given = [key for key in answer if key.startswith("value")]
    if given != [expected]:
        got = ", ".join(given) or "no value"
        raise FhirImportError(location, f"expected {expected} ({VALUE_WORDS[expected]}), got {got}")
    value = answer[expected]
    if question.type == QuestionType.CHOICE:
        if not isinstance(value, dict) or not isinstance(value.get("code"), str):
            raise FhirImportError(location, "valueCoding needs a code")
        system = value.get("system")
        if system is not None and system != canonical.choice_system(criteria_set, question.code):
            raise FhirImportError(
                location, f"the Coding's system {_show(system)} is not this question's choices"
            )
        return value["code"]
    if question.type == QuestionType.INT and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@transaction.atomic
def intake_import_fhir_response(
    *, resource: Mapping[str, Any], patient: Patient, user: User | None, as_of: datetime.date
) -> Intake:
    """A new draft intake of the response's procedure for ``patient``, prefilled with its
    answers (``intake_start`` then ``intake_save_draft``); raises FhirImportError, and then
    nothing is created."""
    procedure, _version = response_procedure(resource)
    named = response_patient_mrn(resource)
    if named is not None and named.strip().lower() != patient.mrn.strip().lower():
        raise FhirImportError("subject", "the response names another patient (MRN differs)")
    criteria_set = selectors.newest_published_set(procedure)
    if criteria_set is None:
        raise FhirImportError("questionnaire", f"{procedure.slug} has no published version")
    answers = response_answers(resource, criteria_set)
    try:
        clean = validate_answer_changes(criteria_set=criteria_set, changes=answers, as_of=as_of)
    except ValidationError as exc:
        code, messages = next(iter(exc.message_dict.items()))
        raise FhirImportError(f"item {code}", " ".join(messages)) from None
    intake, created = intake_start(patient=patient, procedure=procedure, user=user)  # type: ignore[arg-type]
    if not created:
        raise FhirImportError(
            "subject",
            f"the patient already has a draft intake for {procedure.slug} (intake {intake.pk}); "
            "finish it before importing another",
            CONFLICT,
        )
    if clean:
        intake = intake_save_draft(
            intake_id=intake.pk,
            changes=clean,
            version=intake.version,
            user=user,
            as_of=as_of,  # type: ignore[arg-type]
        )
    return intake


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 80 else text[:77] + "..."
