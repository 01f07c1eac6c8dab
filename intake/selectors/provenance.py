"""Who entered each answer of an intake, and when: read from the intake's row history.

The prior-authorization packet (``authorization.selectors``) and the FHIR QuestionnaireResponse
(``intake.fhir.response``) both show it, from this one reading.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intake.models import Intake
from intake.names import person_name


@dataclass(frozen=True)
class AnswerEntered:
    """``by``: the person's name as pages show it ("" when the app or a system wrote it)."""

    by: str
    at: datetime.datetime | None


def answer_provenance(intake: Intake, until: datetime.datetime | None) -> dict[str, AnswerEntered]:
    """Question code -> who entered its current value and when: the history row where the
    answer last took the value it has (at ``until``, the screening's time)."""
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
    return entered
