"""An answer as a form field shows it, and a field's text back as the JSON answer
``manage.py screen`` takes: one wording for the intake form and the golden case form.

Yes/no answers are radio values ``true``/``false`` (blank: not answered); a whole number
stored as ``7.0`` reads ``7``; text that is not a plain number is passed on as text, so the
engine's message ("expected a number, got ...") names the mistake beside its field.
"""

from __future__ import annotations

import re
from typing import Any

from screener import engine
from screener.engine.types import QuestionType

YES, NO = "true", "false"
NOT_ANSWERED = "Not answered"

# A number as a person types it: ASCII digits, an optional sign and at most one decimal point.
# Python's int() and float() also take ``1_0``, ``1e1``, Arabic-Indic digits and ``inf``.
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,15}(?:\.[0-9]{0,15})?|\.[0-9]{1,15})")


def choice_label(value: str, blank: bool) -> str:
    """A choice as an option reads: ``high_energy`` -> "High energy", a blank choice marked."""
    label = value.replace("_", " ")
    label = label[:1].upper() + label[1:]
    return f"{label} (counts as not documented)" if blank else label


def answer_text(value: Any) -> str:
    """A stored JSON answer as its field shows it."""
    if value is None:
        return ""
    if value is True:
        return YES
    if value is False:
        return NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def answer_json(question: engine.QuestionSpec, text: str) -> Any:
    """A field's text as the JSON value ``manage.py screen`` takes (None when blank)."""
    text = text.strip()
    if text == "":
        return None
    if question.type == QuestionType.BOOL:
        return {YES: True, NO: False}.get(text, text)
    if question.type in (QuestionType.INT, QuestionType.DECIMAL):
        if not PLAIN_NUMBER.fullmatch(text):
            return text  # not a plain number: the form (and the engine) say so in words
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    return text
