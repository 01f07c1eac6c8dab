"""The patient's forms: the date of birth, and one step of their questions.

Each question's field is named by its code; the wording is the set's patient prompt in the
patient's language (criteria data, escaped, never rendered as a template). Typing follows the
front desk's form (``screener.answer_text.answer_json``, checked by the engine).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from intake.patient_link.selectors import patient_prompt
from screener import engine
from screener.answer_text import NO, YES, choice_label
from screener.answer_text import answer_json as to_json
from screener.answer_text import answer_text as to_text
from screener.engine.types import QuestionType
from screener.models import Question


class BirthDateForm(forms.Form):
    date_of_birth = forms.DateField(
        label=_("Your date of birth"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
        error_messages={
            "required": _("Enter your date of birth."),
            "invalid": _("Enter your date of birth as a date, for example 1950-03-31."),
        },
    )


class PatientStepForm(forms.Form):
    """One step: a field per patient question of the section, every one optional."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        questions: Sequence[Question],
        spec: engine.CriteriaSpec,
        answers: Mapping[str, Any],
        language: str,
        as_of: datetime.date,
    ):
        self.questions = list(questions)
        self.specs = {q.code: q for q in spec.questions}
        self.as_of = as_of
        initial = {q.code: to_text(answers.get(q.code)) for q in self.questions}
        super().__init__(data, initial=initial)
        for question in self.questions:
            self.fields[question.code] = self._field(question, language)

    def _field(self, question: Question, language: str) -> forms.Field:
        label = patient_prompt(question, language)
        widget: forms.Widget
        if question.type == QuestionType.BOOL:
            widget = forms.RadioSelect(
                choices=[(YES, _("Yes")), (NO, _("No")), ("", _("I am not sure"))]
            )
        elif question.type in (QuestionType.INT, QuestionType.DECIMAL):
            mode = "numeric" if question.type == QuestionType.INT else "decimal"
            widget = forms.TextInput(attrs={"inputmode": mode, "autocomplete": "off"})
        elif question.type == QuestionType.CHOICE:
            blanks = set(question.blank_choices or ())
            widget = forms.RadioSelect(
                choices=[
                    *[
                        (c, self._choice_label(question, c, language))
                        for c in question.choices
                        if c not in blanks
                    ],
                    ("", _("I am not sure")),
                ]
            )
        else:
            widget = forms.DateInput(
                attrs={"type": "date", "max": self.as_of.isoformat()}, format="%Y-%m-%d"
            )
        return forms.CharField(label=label, required=False, strip=True, widget=widget)

    @staticmethod
    def _choice_label(question: Question, choice: str, language: str) -> str:
        """A choice as the patient reads it: the set's Spanish label on a Spanish page when it
        gives one, else the form's label."""
        if language == "es":
            spanish = (question.choice_labels_es or {}).get(choice)
            if spanish:
                return spanish
        return choice_label(choice, False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for question in self.questions:
            code = question.code
            spec = self.specs.get(code)
            if spec is None or code not in cleaned:
                cleaned.pop(code, None)
                continue
            value = to_json(spec, cleaned[code] or "")
            try:
                typed = engine.parse_answers(
                    engine.CriteriaSpec(procedure="", version=0, questions=(spec,)),
                    {code: value},
                    self.as_of,
                )[code]
            except engine.AnswerError:
                self.add_error(code, _("Please check this answer. It could not be saved."))
                continue
            cleaned[code] = typed.isoformat() if isinstance(typed, datetime.date) else typed
        return cleaned

    def answer_changes(self) -> dict[str, Any]:
        """The valid answers of the step (None for blank), leaving out those with errors."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            q.code: cleaned[q.code]
            for q in self.questions
            if q.code in cleaned and q.code not in self.errors
        }
