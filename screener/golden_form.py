"""The golden case form: one field per question of the case's set, the expected outcome by its
label, the rules expected to hold and the questions expected missing as lists to tick.

The case is stored as before (``answers``, ``expected_holding`` and ``expected_missing`` are
JSON, as ``manage.py screen``, import/export and the publish check read them): the form turns
each field into the JSON value the command takes and checks it with the engine
(``engine.parse_answers``), so its messages are the engine's. A form made without a set
(``GoldenCaseForm``) edits the answers as JSON text, for power users and for a new case whose
set is not chosen yet; ``GoldenCaseForm.for_set(draft)`` is the form by question.

Prompts, labels, choices and rule messages are criteria data typed by another person: they
reach the page only through Django's escaping (labels, choice labels) or ``escape`` (help
texts, which the admin prints as they are).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.html import escape

from screener import adapters, engine
from screener.answer_text import NO, NOT_ANSWERED, YES, answer_json, answer_text, choice_label
from screener.engine.types import QuestionType
from screener.forms import AnswersField, DraftOnlyFormMixin, LinesField
from screener.labels import OUTCOME_CHOICES_LABELLED
from screener.models import CriteriaSet, CriteriaSetStatus, GoldenCase, plain_number

ANSWER_PREFIX = "answer_"  # a question's field: ``answer_<code>`` (codes are identifiers)


def answer_field_name(code: str) -> str:
    return f"{ANSWER_PREFIX}{code}"


def question_name(question: engine.QuestionSpec) -> str:
    """A question as a person reads it in a message: its label, or its code."""
    return question.label or question.code


def _range_text(question: engine.QuestionSpec) -> str:
    low = "" if question.min_value is None else plain_number(question.min_value)
    high = "" if question.max_value is None else plain_number(question.max_value)
    if low and high:
        return f"From {low} to {high}."
    if low or high:
        return f"At least {low}." if low else f"At most {high}."
    return ""


def _sentence(message: str) -> str:
    message = message[:1].upper() + message[1:]
    return message if message.endswith(".") else f"{message}."


def answer_form_field(question: engine.QuestionSpec) -> forms.Field:
    """The field of one question: Yes/No/Not answered, a number within its range, one of its
    choices, or a date; its label is the question's prompt, its help the code (and range)."""
    help_parts = [f"Question {question.code}.", _range_text(question)]
    if question.filled_by_app:
        help_parts.append("Filled by the app (from the date of birth) in a real intake.")
    attrs: dict[str, Any] = {"autocomplete": "off"}
    widget: forms.Widget
    if question.type == QuestionType.BOOL:
        widget = forms.RadioSelect(choices=[(YES, "Yes"), (NO, "No"), ("", NOT_ANSWERED)])
    elif question.type in (QuestionType.INT, QuestionType.DECIMAL):
        if question.min_value is not None:
            attrs["min"] = plain_number(question.min_value)
        if question.max_value is not None:
            attrs["max"] = plain_number(question.max_value)
        attrs["step"] = "1" if question.type == QuestionType.INT else "any"
        widget = forms.NumberInput(attrs=attrs)
    elif question.type == QuestionType.CHOICE:
        blanks = set(question.blank_choices)
        options = [(c, choice_label(c, c in blanks)) for c in question.choices]
        widget = forms.Select(choices=[("", f"— {NOT_ANSWERED.lower()} —"), *options])
    else:  # a date
        attrs["type"] = "date"
        attrs["min"] = engine.EARLIEST_DATE.isoformat()
        widget = forms.DateInput(attrs=attrs, format="%Y-%m-%d")
    return forms.CharField(
        label=question.prompt or question.code,
        help_text=escape(" ".join(part for part in help_parts if part)),  # shown unescaped
        required=False,
        strip=True,
        widget=widget,
    )


class GoldenCaseForm(DraftOnlyFormMixin, forms.ModelForm):
    """A golden case with its answers as JSON text (checked against the questions of its set),
    the rules and missing questions one code a line. ``for_set`` gives the form by question."""

    answers_set: CriteriaSet | None = None  # the draft whose questions make the fields

    answers = AnswersField(
        label="answers",
        help_text=GoldenCase._meta.get_field("answers").help_text,
        error_messages={
            "required": "Give the answers as a JSON object: question code to answer ({} for none)."
        },
        widget=forms.Textarea(attrs={"rows": 16, "cols": 70}),
    )

    expected_holding = LinesField(
        label="rules expected to hold", help_text="Rule codes, one a line (others may hold too)."
    )
    check_missing = forms.BooleanField(
        required=False,
        label="check the missing list",
        help_text="Tick to check the missing list below exactly (empty: nothing may be missing).",
    )
    expected_missing = LinesField(
        label="expected missing", help_text="Question codes expected blank, one a line."
    )

    class Meta:
        model = GoldenCase
        fields = [
            "criteria_set",
            "order",
            "name",
            "description",
            "as_of",
            "answers",
            "expected_outcome",
            "expected_holding",
            "check_missing",
            "expected_missing",
        ]
        widgets = {"answers": forms.Textarea(attrs={"rows": 16, "cols": 70})}

    @classmethod
    def for_set(cls, criteria_set: CriteriaSet) -> type[GoldenCaseForm]:
        """This form (or a subclass of it) with one field per question of ``criteria_set``."""
        return type(f"{cls.__name__}ForSet", (cls,), {"answers_set": criteria_set})

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["check_missing"].initial = self.instance.expected_missing is not None
        if "expected_outcome" in self.fields:  # a label a person reads, the code beside it
            self.fields["expected_outcome"].choices = [("", "---------"), *OUTCOME_CHOICES_LABELLED]
        if "criteria_set" in self.fields:
            drafts = CriteriaSet.objects.filter(status=CriteriaSetStatus.DRAFT)
            if self.answers_set is not None:  # the fields are this set's questions
                drafts = drafts.filter(pk=self.answers_set.pk)
                self.fields["criteria_set"].initial = self.answers_set.pk
            self.fields["criteria_set"].queryset = drafts.select_related("procedure")
        self.spec = adapters.criteria_spec(self.answers_set) if self.answers_set else None
        if self.spec is not None:
            self._fields_by_question(self.spec)

    # -- the form by question ---------------------------------------------------------------

    def _fields_by_question(self, spec: engine.CriteriaSpec) -> None:
        del self.fields["answers"]
        stored = self.instance.answers if isinstance(self.instance.answers, dict) else {}
        for question in spec.questions:
            name = answer_field_name(question.code)
            self.fields[name] = answer_form_field(question)
            self.initial.setdefault(name, answer_text(stored.get(question.code)))
        self.fields["expected_holding"] = forms.MultipleChoiceField(
            label="Rules expected to hold",
            required=False,
            widget=forms.CheckboxSelectMultiple,
            choices=[(r.code, f"{r.message or r.code} ({r.code})") for r in spec.rules],
            help_text="Every rule ticked must hold; others may hold too.",
        )
        self.fields["check_missing"].label = "Check the missing list"
        self.fields["expected_missing"] = forms.MultipleChoiceField(
            label="Expected missing",
            required=False,
            widget=forms.CheckboxSelectMultiple,
            # Only a question the set requires (always, or when its condition holds) can be
            # missing; an optional one never is.
            choices=[
                (q.code, f"{q.prompt or q.code} ({q.code})")
                for q in spec.questions
                if q.requirement != engine.Requirement.OPTIONAL
            ],
            help_text="With “Check the missing list” ticked: exactly these required questions "
            "are expected missing (none ticked: nothing may be missing).",
        )

    def question_fieldsets(self) -> list[tuple[str, list[str]]]:
        """(section, field names) of the answers, in checklist order (empty without a set)."""
        sections: dict[str, list[str]] = {}
        for question in self.spec.questions if self.spec else ():
            sections.setdefault(question.section, []).append(answer_field_name(question.code))
        return list(sections.items())

    def _answers_by_question(self, as_of: datetime.date | None) -> dict[str, Any]:
        """The answers of the fields, as JSON values; errors go on their fields."""
        assert self.spec is not None
        answers: dict[str, Any] = {}
        for question in self.spec.questions:
            name = answer_field_name(question.code)
            if name not in self.cleaned_data:
                continue  # its own error is shown already
            value = answer_json(question, self.cleaned_data[name] or "")
            if value is None:
                continue
            one = engine.CriteriaSpec(procedure="", version=0, questions=(question,))
            try:
                if as_of is None:
                    typed = engine.parse_answer(question, value)
                else:
                    typed = engine.parse_answers(one, {question.code: value}, as_of)[question.code]
            except (engine.AnswerError, ValueError) as exc:
                message = exc.message if isinstance(exc, engine.AnswerError) else str(exc)
                self.add_error(name, f"{question_name(question)}: {_sentence(message)}")
                continue
            answers[question.code] = (
                typed.isoformat() if isinstance(typed, datetime.date) else typed
            )
        return answers

    # -- cleaning ---------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("check_missing"):
            cleaned["expected_missing"] = None
        if self.spec is not None:
            self._answers = self._answers_by_question(cleaned.get("as_of"))
            order = {q.code: n for n, q in enumerate(self.spec.questions)}
            if cleaned.get("expected_missing") is not None:  # the checklist's order
                cleaned["expected_missing"] = sorted(cleaned["expected_missing"], key=order.get)
            rule_order = {r.code: n for n, r in enumerate(self.spec.rules)}
            cleaned["expected_holding"] = sorted(
                cleaned.get("expected_holding") or [], key=rule_order.get
            )
            return cleaned
        answers = cleaned.get("answers")
        criteria_set = cleaned.get("criteria_set") or (
            self.instance.criteria_set if self.instance.criteria_set_id else None
        )
        if answers is not None and not isinstance(answers, dict):
            self.add_error("answers", "Give the answers as a JSON object: question code to answer.")
        elif answers is not None and criteria_set is not None and cleaned.get("as_of"):
            spec = adapters.criteria_spec(criteria_set)
            try:
                engine.parse_answers(spec, answers, cleaned["as_of"])
            except engine.AnswerError as exc:
                self.add_error("answers", f"{exc.field}: {exc.message}")
            questions = {q.code for q in spec.questions}
            rules = {r.code for r in spec.rules}
            unknown_rules = [c for c in cleaned.get("expected_holding") or [] if c not in rules]
            if unknown_rules:
                self.add_error(
                    "expected_holding", f"Not a rule of this set: {', '.join(unknown_rules)}."
                )
            unknown = [c for c in cleaned.get("expected_missing") or [] if c not in questions]
            if unknown:
                self.add_error(
                    "expected_missing", f"Not a question of this set: {', '.join(unknown)}."
                )
        return cleaned

    def _post_clean(self) -> None:
        if self.spec is not None and hasattr(self, "_answers"):
            self.instance.answers = self._answers
        super()._post_clean()
        self.instance.expected_missing = self.cleaned_data.get("expected_missing")
