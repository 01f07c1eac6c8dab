"""The intake checklist form, generated from the pinned criteria set's questions.

Each field's HTML ``name`` is its question code (a stable interface for browser tests and
integrations); the form's own fields start with an underscore, which no question code can.
Every field is optional to the form (a draft may be incomplete); which questions are required
*now* comes from the server's evaluation (``required``) and is shown beside the label. A
question required only *when* a condition holds sits in a ``<details>``: closed, as one line
("not needed for this patient") that opens it, while the condition does not hold and it has no
answer (``collapsed``, from the same evaluation); it is still answerable. Typing
follows ``manage.py screen``: the text of each field becomes the JSON value the command takes,
and ``screener.engine.parse_answers`` checks it, so the messages are the engine's own.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

from intake.forms.intake_form_html import intake_form_html
from intake.models import Patient
from screener import engine
from screener.answer_text import (
    NO,
    NOT_ANSWERED,
    PLAIN_NUMBER,
    YES,
    choice_label,
)
from screener.answer_text import answer_json as to_json
from screener.answer_text import answer_text as to_text
from screener.engine.types import QuestionType
from screener.models import Procedure, Question

VERSION_FIELD = "_version"
REASON_FIELD = "_reason"
NOTE_FIELD = "_note"
# The patient's answers: the codes the front desk confirmed, and a reason per corrected one.
CONFIRM_FIELD = "_confirm"
CORRECTION_PREFIX = "_correction_"
FROM_PATIENT = "From the patient"


def plain_number_error(text: str) -> str:
    """Why the text of a number field is not a plain number: "" when it is one, is blank, or
    has no digit at all (the engine's "expected a number, got 'lots'" says that best)."""
    text = text.strip()
    if PLAIN_NUMBER.fullmatch(text) or not any(char.isnumeric() for char in text):
        return ""
    return (
        "Enter a number with the digits 0-9, an optional sign and at most one decimal point "
        "(up to 15 digits on each side of it)."
    )


def _range_text(question: Question) -> str:
    if question.min_value is None and question.max_value is None:
        return ""
    low = "" if question.min_value is None else f"{question.min_value.normalize():f}"
    high = "" if question.max_value is None else f"{question.max_value.normalize():f}"
    if low and high:
        return f"From {low} to {high}."
    return f"At least {low}." if low else f"At most {high}."


class IntakeForm(forms.Form):
    """One field per asked question, grouped by section; plus the version (and a reason)."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        questions: Sequence[Question],
        spec: engine.CriteriaSpec,
        as_of: datetime.date,
        answers: Mapping[str, Any],
        version: int,
        required: Iterable[str] = (),
        collapsed: Iterable[str] = (),
        ask_reason: bool = False,
        ask_note: bool = False,
        patient_rows: Sequence[Any] = (),
    ):
        self.questions = [q for q in questions if not q.filled_by_app]
        # The answers the patient gave (through their link) and are current: marked, and listed
        # to confirm (``intake.selectors.provenance.patient_answer_rows``).
        self.patient_rows = list(patient_rows)
        self.patient_codes = frozenset(row.code for row in self.patient_rows)
        self.specs = {q.code: q for q in spec.questions}
        self.as_of = as_of
        self.required_codes = frozenset(required)
        self.collapsed_codes = frozenset(collapsed)
        initial = {q.code: to_text(answers.get(q.code)) for q in self.questions}
        initial[VERSION_FIELD] = version
        super().__init__(data, initial=initial)
        self.fields[VERSION_FIELD] = forms.IntegerField(widget=forms.HiddenInput)
        if ask_reason:
            self.fields[REASON_FIELD] = forms.CharField(
                label="Reason for the change",
                help_text="For example: MRI report received. Kept with the new screening.",
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"required": "Give the reason for changing a submitted intake."},
            )
        if ask_note:
            self.fields[NOTE_FIELD] = forms.CharField(
                label="Note for the physician (optional)",
                help_text="What you added or could not find. Kept with the new screening.",
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        for question in self.questions:
            self.fields[question.code] = self._field(question)
        self._ask_reason, self._ask_note = ask_reason, ask_note

    def mark_required(self, codes: Iterable[str], *, collapsed: Iterable[str] = ()) -> None:
        """Show these questions as required now, and those ``collapsed`` (conditional questions
        not needed now and not answered) closed: the server's evaluation of the answers."""
        self.required_codes = frozenset(codes)
        self.collapsed_codes = frozenset(collapsed)

    def as_checklist(self) -> SafeString:
        """The fields as HTML: the version (and the reason or the note), then one fieldset per
        section with each question, required-now ones marked, conditional ones in a
        ``<details>`` (``intake_form_html``: crispy's bootstrap5 markup without its templates)."""
        top = [(VERSION_FIELD, "")]
        if self._ask_reason:
            top.append((REASON_FIELD, "reason-field"))
        if self._ask_note:
            top.append((NOTE_FIELD, ""))
        return intake_form_html(self, top=top)

    # ---------------------------------------------------------------- fields and layout

    def _label(self, question: Question) -> str:
        label = format_html(
            '{} <span class="badge text-bg-light border required-marker">required</span>',
            question.prompt,
        )
        if question.code in self.patient_codes:
            label = format_html(
                '{} <span class="badge text-bg-info from-patient">{}</span>', label, FROM_PATIENT
            )
        return label

    def _field(self, question: Question) -> forms.Field:
        # Escaped here, once: the help text is HTML from here on (as crispy's templates took it).
        help_text = escape(
            " ".join(part for part in (question.help_text, _range_text(question)) if part)
        )
        attrs: dict[str, Any] = {"autocomplete": "off"}
        widget: forms.Widget
        if question.type == QuestionType.BOOL:
            widget = forms.RadioSelect(choices=[(YES, "Yes"), (NO, "No"), ("", NOT_ANSWERED)])
        elif question.type in (QuestionType.INT, QuestionType.DECIMAL):
            # A text field with a number keypad, not type="number": for text it cannot read as
            # a number ("8-", "1O") a number field sends "", which saved a blank over the answer
            # without a word. As text it reaches the server, which names what is wrong and keeps
            # it as typed. The range is in the help text.
            attrs["inputmode"] = "numeric" if question.type == QuestionType.INT else "decimal"
            attrs["spellcheck"] = "false"
            widget = forms.TextInput(attrs=attrs)
        elif question.type == QuestionType.CHOICE:
            blanks = set(question.blank_choices or ())
            options = [(c, choice_label(c, c in blanks)) for c in question.choices]
            if len(options) <= 4:
                widget = forms.RadioSelect(choices=[*options, ("", NOT_ANSWERED)])
            else:
                widget = forms.Select(choices=[("", f"— {NOT_ANSWERED.lower()} —"), *options])
        elif question.type == QuestionType.DATE:
            attrs["type"] = "date"
            attrs["min"] = engine.EARLIEST_DATE.isoformat()  # nor before a plausible day
            attrs["max"] = self.as_of.isoformat()  # no date answer is after the screening date
            widget = forms.DateInput(attrs=attrs)
        else:  # pragma: no cover - the types are an enum
            widget = forms.TextInput(attrs=attrs)
        return forms.CharField(
            label=self._label(question),
            help_text=help_text,
            required=False,
            strip=True,
            widget=widget,
        )

    # ---------------------------------------------------------------- cleaning

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for question in self.questions:
            code = question.code
            if code not in cleaned:
                continue
            spec = self.specs.get(code)
            if spec is None or code not in self.data:
                # A question the compiled set does not have, or a field the POST lacks: its
                # stored answer stays as it is (only an explicit "" clears an answer).
                cleaned.pop(code)
                continue
            if spec.type in (QuestionType.INT, QuestionType.DECIMAL):
                shape = plain_number_error(cleaned[code] or "")
                if shape:
                    self.add_error(code, shape)
                    continue
            value = to_json(spec, cleaned[code] or "")
            try:
                typed = engine.parse_answers(engine_spec_of(spec), {code: value}, self.as_of)
            except engine.AnswerError as exc:
                self.add_error(code, _sentence(exc.message))
                continue
            typed_value = typed[code]
            cleaned[code] = (
                typed_value.isoformat() if isinstance(typed_value, datetime.date) else typed_value
            )
        return cleaned

    def answer_changes(self) -> dict[str, Any]:
        """Every valid answer posted (None for blank), leaving out the fields with errors and
        the fields the POST lacks (those keep their stored answers)."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            q.code: cleaned[q.code]
            for q in self.questions
            if q.code in cleaned and q.code not in self.errors
        }

    def rejected_answers(self) -> list[str]:
        """Codes of the answers posted with an error: left out of ``answer_changes``, so they
        keep their stored value (the services never take such a post for a resend)."""
        return [q.code for q in self.questions if q.code in self.errors]

    def confirmed_codes(self) -> list[str]:
        """The patient's answers the user ticked as confirmed."""
        if not self.is_bound:
            return []
        return [code for code in self.data.getlist(CONFIRM_FIELD) if code in self.patient_codes]

    def correction_reasons(self) -> dict[str, str]:
        """Question code -> the reason typed for correcting the patient's answer."""
        if not self.is_bound:
            return {}
        reasons = {}
        for code in self.patient_codes:
            text = (self.data.get(f"{CORRECTION_PREFIX}{code}") or "").strip()
            if text:
                reasons[code] = text[:500]
        return reasons

    def loaded_version(self) -> int | None:
        return getattr(self, "cleaned_data", {}).get(VERSION_FIELD)

    def error_list(self) -> list[tuple[str, str, str]]:
        """(field id, prompt, message) for the summary above the form."""
        prompts = {q.code: q.prompt for q in self.questions}
        prompts[REASON_FIELD] = "Reason for the change"
        rows = []
        for name, errors in self.errors.items():
            if name not in prompts:  # the version and non-field errors are shown elsewhere
                continue
            for message in errors:
                rows.append((f"id_{name}", prompts.get(name, name), message))
        return rows


def engine_spec_of(question: engine.QuestionSpec) -> engine.CriteriaSpec:
    """A one-question spec, so ``parse_answers`` checks one field (its date, if any, too)."""
    return engine.CriteriaSpec(procedure="", version=0, questions=(question,))


def _sentence(message: str) -> str:
    message = message[:1].upper() + message[1:]
    return message if message.endswith(".") else f"{message}."


class StartIntakeForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.all(), widget=forms.HiddenInput)
    procedure = forms.ModelChoiceField(
        queryset=Procedure.objects.all(), label="Procedure", empty_label=None
    )
