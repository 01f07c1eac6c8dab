"""An intake's answers as a FHIR QuestionnaireResponse."""

from __future__ import annotations

from intake.fhir import canonical
from intake.fhir.patient import patient_resource
from intake.fhir.structure import (
    answer_element,
    answer_source_extension,
    item_sections,
    patient_prompt_extension,
    set_questions,
)
from intake.models import Intake, IntakeStatus, Screening
from intake.outcomes import OUTCOME_LABELS
from intake.selectors.provenance import AnswerEntered, answer_provenance
from screener.models import Question

CONTAINED_PATIENT_ID = "patient"


def questionnaire_response(
    intake: Intake,
    screening: Screening | None = None,
    *,
    provenance: bool = False,
    contained_patient: bool = False,
) -> dict:
    """The intake's answers as an R4 QuestionnaireResponse; with ``screening``, the answers
    that screening read, under its criteria set, with its outcome (what a decision and a
    prior-authorization packet rest on, whatever was edited since).

    - ``questionnaire``: the canonical URL of the intake's criteria set and its version
      (``canonical.questionnaire_canonical``);
    - ``status``: ``in-progress`` for a draft, ``completed`` once submitted;
    - ``subject``: ``Patient/<patient id>`` (``patient.patient_resource`` builds it; a bundle
      points it at its own entry); ``authored``: when it was submitted (a draft: last saved);
    - ``item``: one group per section holding its answered questions (``linkId`` = question
      code), as ``structure`` maps them. Blank answers are left out, as are questions the app
      fills from the patient's record (the Patient says them) and a stored value that does not
      fit its question's type;
    - the latest screening's outcome, when there is one, as the ``screening-outcome``
      extension (``valueCoding``: the engine's code and its label).

    With ``provenance``, each answer carries where it comes from (the ``answer-source``
    extension: patient, chart, imaging, clinician) and who entered it and when (the
    ``answer-entered`` extension, sub-extensions ``by`` and ``at``, from the intake's row history
    up to the screening: ``intake.selectors.provenance``). With ``contained_patient``, the
    Patient is contained (``#patient``) instead of referenced, so a file stands alone.

    One query for the questions (the intake's criteria set and procedure are read through it:
    select them with the intake), and with ``provenance`` one for the history.
    """
    criteria_set = screening.criteria_set if screening else intake.criteria_set
    answers = (screening.answers if screening else intake.answers) or {}
    outcome = screening.outcome if screening else intake.outcome
    entered: dict[str, AnswerEntered] = {}
    if provenance:
        entered = answer_provenance(intake, screening.created_at if screening else None)
    items = []
    for section in item_sections(set_questions(criteria_set)):
        answered = []
        for question in section.questions:
            if question.filled_by_app or question.code not in answers:
                continue
            answer = answer_element(criteria_set, question, answers[question.code])
            if answer is not None:
                if provenance:
                    answer["extension"] = _provenance_extensions(
                        question, entered.get(question.code)
                    )
                item = {"linkId": question.code, "text": question.prompt, "answer": [answer]}
                patient_prompt = patient_prompt_extension(question) if provenance else None
                if patient_prompt is not None:
                    item["extension"] = [patient_prompt]
                answered.append(item)
        if answered:
            items.append({"linkId": section.link_id, "text": section.title, "item": answered})

    submitted = intake.status != IntakeStatus.DRAFT
    authored = intake.submitted_at if submitted and intake.submitted_at else intake.updated_at
    if screening is not None:
        authored = screening.created_at
    resource: dict = {"resourceType": "QuestionnaireResponse"}
    if intake.pk is not None:
        resource["id"] = str(intake.pk)
        resource["identifier"] = {"system": canonical.intake_system(), "value": str(intake.pk)}
    if outcome:
        resource["extension"] = [
            {
                "url": canonical.outcome_extension_url(),
                "valueCoding": {
                    "system": canonical.outcome_system(),
                    "code": outcome,
                    "display": OUTCOME_LABELS.get(outcome, outcome),
                },
            }
        ]
    resource["questionnaire"] = canonical.questionnaire_canonical(criteria_set)
    resource["status"] = "completed" if submitted else "in-progress"
    if contained_patient:
        resource["contained"] = [{**patient_resource(intake.patient), "id": CONTAINED_PATIENT_ID}]
        resource["subject"] = {"reference": f"#{CONTAINED_PATIENT_ID}"}
    else:
        resource["subject"] = {"reference": f"Patient/{intake.patient_id}"}
    if authored is not None:
        resource["authored"] = authored.isoformat(timespec="seconds")
    if items:  # FHIR JSON has no empty arrays
        resource["item"] = items
    return resource


def _provenance_extensions(question: Question, entered: AnswerEntered | None) -> list[dict]:
    extensions = [answer_source_extension(question)]
    if entered is not None:
        parts = []
        if entered.by:
            parts.append({"url": "by", "valueString": entered.by})
        if entered.at is not None:
            parts.append({"url": "at", "valueDateTime": entered.at.isoformat(timespec="seconds")})
        if parts:
            extensions.append({"url": canonical.answer_entered_extension_url(), "extension": parts})
    return extensions
