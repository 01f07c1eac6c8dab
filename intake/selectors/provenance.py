"""Reads of the answers' provenance (``AnswerEntry``): the current entry of each question of an
intake, and the patient's answers the front desk has yet to confirm.

This is the source of truth for who gave an answer; ``authorization.selectors.answer_provenance``
(which reads the row history) predates it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from intake.models import AnswerEntry, EntrySource, Intake


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
