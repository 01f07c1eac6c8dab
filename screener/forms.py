"""Forms of criteria admin: friendlier list fields, golden-case answers as JSON, confirmations
(the golden case form itself is ``screener.golden_form``).

Forms validate shape only; whole-set checks (expressions) run in ``screener.validation``.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput
from django.utils.html import format_html

from screener.models import (
    SHOWN_WITH_CHOICES,
    CodingRow,
    ContentBlock,
    ContentReader,
    CriteriaSet,
    CriteriaSetStatus,
    DiagnosisCode,
    Question,
    Rule,
    plain_number,
)


class PlainNumberInput(forms.NumberInput):
    """A decimal's input showing the number as typed (``50``, not ``50.0000`` or ``5E+1``)."""

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Decimal):
            return plain_number(value)
        return super().format_value(value)


class OneLineTextarea(forms.Textarea):
    """A one-line text (a prompt, a title) wrapped over a few lines, so a narrow column shows
    all of it; a line break typed or pasted becomes a space."""

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__({"rows": 2, "cols": 30, **(attrs or {})})

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = super().value_from_datadict(data, files, name)
        return _LINE_BREAKS.sub(" ", value) if isinstance(value, str) else value


_LINE_BREAKS = re.compile(r"[ \t]*[\r\n]+[ \t]*")


class CheckboxGroup(forms.CheckboxSelectMultiple):
    """Checkboxes in a group that takes the field's ``aria-label`` ("Readers of content block
    Handout"), while each box keeps its own label ("Physicians")."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        option["attrs"].pop("aria-label", None)
        return option

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> str:
        html = super().render(name, value, attrs, renderer)
        if label := self.attrs.get("aria-label"):
            return format_html('<div role="group" aria-label="{}">{}</div>', label, html)
        return html


class LinesField(forms.CharField):
    """A JSON list of strings edited as text, one item per line (blank lines ignored)."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 24})

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return "" if value is None else value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return [str(item) for item in value]
        text = super().to_python(value) or ""
        if "\x00" in text:  # stored as JSON, where PostgreSQL refuses it (\u0000)
            raise ValidationError("Remove the NUL character (\\u0000) from these lines.")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial or []) != self.to_python(data)


class DraftOnlyFormMixin:
    """Refuses a form for a part of a published or retired set (the models refuse it too)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        criteria_set = cleaned.get("criteria_set") or getattr(self.instance, "criteria_set", None)
        if self.instance.pk is not None:  # type: ignore[attr-defined]
            stored = type(self.instance).objects.filter(pk=self.instance.pk).first()  # type: ignore[attr-defined]
            if stored is not None and not stored.criteria_set.is_draft:
                criteria_set = stored.criteria_set
        if isinstance(criteria_set, CriteriaSet) and criteria_set.pk:
            status = (
                CriteriaSet.objects.filter(pk=criteria_set.pk)
                .values_list("status", flat=True)
                .first()
            )
            if status not in (None, CriteriaSetStatus.DRAFT):
                raise ValidationError(
                    f"{criteria_set} is {status} and cannot be changed; clone it as a new draft."
                )
        return cleaned


class QuestionForm(DraftOnlyFormMixin, forms.ModelForm):
    choices = LinesField(
        label="choices", help_text="For choice questions: one allowed value per line, in order."
    )
    blank_choices = LinesField(
        label="blank choices", help_text="Choices that count as blank (e.g. unknown), one a line."
    )

    class Meta:
        model = Question
        fields = [
            "criteria_set",
            "order",
            "code",
            "section",
            "prompt",
            "label",
            "type",
            "min_value",
            "max_value",
            "choices",
            "blank_choices",
            "requirement",
            "required_when",
            "answer_source",
            "filled_from",
            "help_text",
            "patient_prompt",
            "patient_prompt_es",
            "section_es",
            "choice_labels_es",
        ]
        widgets = {
            "prompt": OneLineTextarea,
            "patient_prompt": OneLineTextarea,
            "patient_prompt_es": OneLineTextarea,
            "help_text": forms.Textarea(attrs={"rows": 2, "cols": 30}),
            "required_when": forms.Textarea(attrs={"rows": 2, "cols": 30}),
        }


class CodingRowForm(DraftOnlyFormMixin, forms.ModelForm):
    levels = LinesField(
        label="levels",
        help_text="The answers of the level question in this region, one a line.",
        widget=forms.Textarea(attrs={"rows": 5, "cols": 24}),
    )

    class Meta:
        model = CodingRow
        fields = [
            "criteria_set",
            "order",
            "technique",
            "technique_label",
            "region",
            "levels",
            "primary_code",
            "addon_code",
            "cap_parameter",
        ]


class DiagnosisCodeForm(DraftOnlyFormMixin, forms.ModelForm):
    class Meta:
        model = DiagnosisCode
        fields = ["criteria_set", "order", "code", "description", "applies_when"]
        widgets = {
            "code": forms.TextInput(attrs={"size": 10}),
            "description": OneLineTextarea(attrs={"rows": 3, "cols": 34}),
            "applies_when": forms.Textarea(attrs={"rows": 3, "cols": 40}),
        }


class RuleForm(DraftOnlyFormMixin, forms.ModelForm):
    class Meta:
        model = Rule
        fields = [
            "criteria_set",
            "order",
            "code",
            "effect",
            "emergency",
            "condition",
            "message",
            "source",
            "coverage_criterion",
            "coverage_group",
            "payer_wording",
            "payer_citation",
        ]
        widgets = {
            "condition": forms.Textarea(attrs={"rows": 3, "cols": 30}),
            "message": forms.Textarea(attrs={"rows": 3, "cols": 30}),
            "coverage_group": forms.TextInput(attrs={"size": 14}),
            "payer_wording": forms.Textarea(attrs={"rows": 2, "cols": 22}),
        }


class ListChoiceField(forms.MultipleChoiceField):
    """A JSON list of fixed values edited as checkboxes."""

    widget = CheckboxGroup

    def __init__(self, **kwargs: Any):
        for name in ("encoder", "decoder", "max_length"):
            kwargs.pop(name, None)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class ContentBlockForm(DraftOnlyFormMixin, forms.ModelForm):
    readers = ListChoiceField(
        label="readers", choices=ContentReader.choices, help_text="Who reads this block."
    )
    shown_with = ListChoiceField(
        label="shown with",
        choices=SHOWN_WITH_CHOICES,
        help_text="Physicians see it with a suggested outcome; once a decision is in force, "
        "staff and patients with that decision.",
    )

    class Meta:
        model = ContentBlock
        fields = [
            "criteria_set",
            "order",
            "kind",
            "title",
            "body",
            "title_es",
            "body_es",
            "readers",
            "shown_with",
        ]
        widgets = {
            "title": OneLineTextarea,
            "body": forms.Textarea(attrs={"rows": 16, "cols": 60}),
            "title_es": OneLineTextarea,
            "body_es": forms.Textarea(attrs={"rows": 16, "cols": 60}),
        }
        help_texts = {
            "body": "One item a line. {parameter} is replaced by the parameter's value, "
            "{date_after_onset:parameter} by the date that many weeks after the onset.",
            "kind": "A name for the block (letters, digits, underscores); new kinds need no code.",
        }


class AnswersField(forms.JSONField):
    """A JSON object of answers, checked before it is parsed, shown again or stored.

    Django's JSONField lets through what the database or the page cannot take: a number with
    thousands of digits or nesting deep enough to exhaust the parser (both raise outside its
    ``JSONDecodeError``), NaN and Infinity, and strings with ``\\u0000`` or a lone surrogate
    such as ``\\ud800`` (PostgreSQL refuses the first, UTF-8 cannot encode the second).
    """

    MAX_CHARS = 20_000
    MAX_DEPTH = 20
    MAX_DIGITS = 15

    def to_python(self, value: Any) -> Any:
        if self.disabled or isinstance(value, list | dict | int | float):
            return value
        text = "" if value is None else str(value).strip()
        if text in self.empty_values:
            return None
        return self.load(text)

    def bound_data(self, data: Any, initial: Any) -> Any:
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return self.load(str(data))
        except ValidationError:
            return InvalidJSONInput(data)

    def load(self, text: str) -> Any:
        """The JSON value of ``text``; a ValidationError saying what is wrong otherwise."""
        if len(text) > self.MAX_CHARS:
            raise ValidationError(f"The answers are too long: at most {self.MAX_CHARS} characters.")
        if _nesting(text) > self.MAX_DEPTH:
            raise ValidationError(
                "The answers are nested too deeply: give a JSON object of question code to answer."
            )
        try:
            value = json.loads(
                text,
                parse_int=self._integer,
                parse_float=self._decimal,
                parse_constant=self._constant,
            )
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            ) from None
        _check_text(value)
        return value

    def _integer(self, text: str) -> int:
        if len(text.lstrip("-")) > self.MAX_DIGITS:
            raise ValidationError(
                f"The number {_cut(text)} has more than {self.MAX_DIGITS} digits."
            )
        return int(text)

    def _decimal(self, text: str) -> float:
        value = float(text)
        if not math.isfinite(value) or len(text) > 2 * self.MAX_DIGITS + 5:
            raise ValidationError(f"The number {_cut(text)} is too large or too long.")
        return value

    def _constant(self, text: str) -> Any:
        raise ValidationError(f"{text} is not a JSON number: give a number, or null for blank.")


def _nesting(text: str) -> int:
    """How deep brackets nest in JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _check_text(value: Any) -> None:
    """Refuse strings (keys too) that cannot be stored or shown: NUL and lone surrogates."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)
    elif isinstance(value, str) and ("\x00" in value or _SURROGATE.search(value)):
        raise ValidationError(
            f"The text {json.dumps(_cut(value))} holds a NUL (\\u0000) or a lone surrogate "
            "(such as \\ud800), which cannot be stored."
        )


_SURROGATE = re.compile("[\ud800-\udfff]")


def _cut(text: str, length: int = 20) -> str:
    return text if len(text) <= length else f"{text[:length]}…"


class ConfirmForm(forms.Form):
    """A confirmation page's form: one button, and a note for the change log."""

    note = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Optional: why (kept in the change log).",
    )
