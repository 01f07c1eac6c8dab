"""Turn answers as JSON gives them into the typed values the engine screens with."""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping
from typing import Any

from screener.engine.types import CriteriaSpec, QuestionSpec, QuestionType

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

EARLIEST_DATE = datetime.date(1900, 1, 1)
"""No date answer is before this day: a year no person could mean (``0001-01-01``) is a bad
value. ``parse_answers`` takes another bound as its ``earliest`` argument."""


class AnswerError(ValueError):
    """A value that cannot be screened. ``field`` is its path, e.g. ``answers.<question code>``."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _show(value: Any) -> str:
    """A value as the person who typed it wrote it (JSON spelling)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value)) if math.isfinite(value) else str(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return str(value)


def _bound(value: float, question_type: QuestionType) -> str:
    return str(int(value)) if question_type == QuestionType.INT else str(float(value))


def parse_answer(question: QuestionSpec, value: Any) -> Any:
    """One JSON value to its typed answer; None stays blank. Raises ValueError with a message."""
    if value is None:
        return None
    kind = question.type
    if kind == QuestionType.BOOL:
        if isinstance(value, bool):
            return value
        raise ValueError(f"expected true or false, got {_show(value)}")
    if kind in (QuestionType.INT, QuestionType.DECIMAL):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {_show(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("expected a finite number")
        if kind == QuestionType.INT:
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError(f"{_show(value)} is not a whole number")
                value = int(value)
        else:
            value = float(value)
        if question.min_value is not None and value < question.min_value:
            raise ValueError(
                f"{_show(value)} is below the minimum {_bound(question.min_value, kind)}"
            )
        if question.max_value is not None and value > question.max_value:
            raise ValueError(
                f"{_show(value)} is above the maximum {_bound(question.max_value, kind)}"
            )
        return value
    if kind == QuestionType.CHOICE:
        if not isinstance(value, str):
            raise ValueError(f"expected one of {', '.join(question.choices)}; got {_show(value)}")
        if value not in question.choices:
            raise ValueError(f"{_show(value)} is not one of: {', '.join(question.choices)}")
        return value
    if kind == QuestionType.DATE:
        return parse_date(value)
    raise ValueError(f"unknown question type {kind}")  # pragma: no cover - types are an enum


def parse_date(value: Any) -> datetime.date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {_show(value)}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{_show(value)} is not a real date") from None


def parse_answers(
    spec: CriteriaSpec,
    raw: Mapping[str, Any],
    as_of: datetime.date,
    *,
    earliest: datetime.date = EARLIEST_DATE,
) -> dict[str, Any]:
    """Check and type every answer, in the order given; raise AnswerError at the first bad one.

    A date answer must fall between ``earliest`` and ``as_of`` (both included).
    """
    questions = {q.code: q for q in spec.questions}
    typed: dict[str, Any] = {}
    for code, value in raw.items():
        question = questions.get(code)
        if question is None:
            raise AnswerError(f"answers.{code}", f"unknown question code '{code}'")
        try:
            typed[code] = parse_answer(question, value)
        except ValueError as exc:
            raise AnswerError(f"answers.{code}", str(exc)) from None
        error = date_after_screening_error(typed[code], as_of) or date_before_error(
            typed[code], earliest
        )
        if error:
            raise AnswerError(f"answers.{code}", error)
    return typed


def date_after_screening_error(value: Any, as_of: datetime.date) -> str:
    """Every date answer (onset, imaging, any other) must be on or before the screening date."""
    if isinstance(value, datetime.date) and value > as_of:
        return f"{value.isoformat()} is after the screening date {as_of.isoformat()}"
    return ""


def date_before_error(value: Any, earliest: datetime.date) -> str:
    """A date answer before the earliest plausible day (``0001-01-01`` is a typing slip)."""
    if isinstance(value, datetime.date) and value < earliest:
        return f"{value.isoformat()} is before {earliest.isoformat()}"
    return ""
