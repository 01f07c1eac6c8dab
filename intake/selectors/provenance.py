"""Who gave each answer of an intake, and when.

``AnswerEntry`` is the record (migration 0017 on): the current entry of each question, the
patient's answers the front desk has yet to confirm, one answer's entries. Answers saved before
entries were kept are read from the intake's row history. ``answer_provenance`` joins the two
for the prior-authorization packet (``authorization.selectors``) and the FHIR
QuestionnaireResponse (``intake.fhir.response``), which both show it from this one reading.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intake.models import AnswerEntry, EntrySource, Intake
from intake.names import person_name

THE_PATIENT = "the patient (their link)"


@dataclass(frozen=True)
class AnswerEntered:
    """``by``: the person's name as pages show it ("" when the app or a system wrote it)."""

    by: str
    at: datetime.datetime | None


def _from_history(
    intake: Intake, until: datetime.datetime | None
) -> tuple[dict[str, AnswerEntered], Mapping[str, Any]]:
    """The history row where each answer last took the value it has, and the answers then."""
    rows = intake.history.order_by("history_date", "history_id")
    if until is not None:
        rows = rows.filter(history_date__lte=until)
    entered: dict[str, AnswerEntered] = {}
    previous: Mapping[str, Any] = {}
    for row in rows.select_related("history_user"):
        answers = row.answers or {}
        for code, value in answers.items():
            if value is not None and previous.get(code) != value:
                entered[code] = AnswerEntered(person_name(row.history_user), row.history_date)
        previous = answers
    return entered, previous


def answer_provenance(intake: Intake, until: datetime.datetime | None) -> dict[str, AnswerEntered]:
    """Question code -> who entered its current value and when (at ``until``, the screening's
    time): its answer entry, or for an answer saved without one (before entries were kept, or
    written around the services), the history row where it took that value."""
    entered, answers = _from_history(intake, until)
    for code, entry in current_answer_entries(intake_id=intake.pk, until=until).items():
        if entry.value is None or entry.value != answers.get(code):
            continue
        by = THE_PATIENT if entry.source == EntrySource.PATIENT else person_name(entry.entered_by)
        entered[code] = AnswerEntered(by, entry.at)
    return entered


def current_answer_entries(
    *, intake_id: int, until: datetime.datetime | None = None
) -> dict[str, AnswerEntry]:
    """Question code -> its newest entry (at ``until``, for example a screening's time; one
    query). An answer saved before entries were kept (migration 0017) has none: its history
    rows still say who saved it."""
    entries = AnswerEntry.objects.filter(intake_id=intake_id)
    if until is not None:
        entries = entries.filter(at__lte=until)
    current: dict[str, AnswerEntry] = {}
    for entry in entries.select_related("entered_by").order_by("question_code", "id"):
        current[entry.question_code] = entry
    return current


def unconfirmed_patient_codes(*, intake_id: int) -> list[str]:
    """Codes whose current answer is the patient's and has not been confirmed by the front desk
    (a cleared answer needs nothing)."""
    return sorted(
        code
        for code, entry in current_answer_entries(intake_id=intake_id).items()
        if entry.source == EntrySource.PATIENT
        and entry.confirmed_at is None
        and entry.value is not None
    )


@dataclass(frozen=True)
class PatientAnswerRow:
    """A patient's answer as the front desk's form shows it."""

    code: str
    prompt: str
    value: Any
    at: Any
    confirmed: bool
    corrects_patient: bool = False


def patient_answer_rows(*, intake: Intake, prompts: dict[str, str]) -> list[PatientAnswerRow]:
    """The questions whose current answer came from the patient, in the set's order."""
    current = current_answer_entries(intake_id=intake.pk)
    return [
        PatientAnswerRow(
            code=code,
            prompt=prompt,
            value=current[code].value,
            at=current[code].at,
            confirmed=current[code].confirmed_at is not None,
        )
        for code, prompt in prompts.items()
        if code in current
        and current[code].source == EntrySource.PATIENT
        and current[code].value is not None
    ]


def answer_history(*, intake_id: int, question_code: str) -> list[AnswerEntry]:
    """Every entry of one answer, oldest first (a correction after the answer it corrects)."""
    return list(
        AnswerEntry.objects.filter(intake_id=intake_id, question_code=question_code)
        .select_related("entered_by", "confirmed_by")
        .order_by("id")
    )
