"""Attaching a document to an intake, and withdrawing one (shape only: the service checks what
the file is, from its bytes)."""

from __future__ import annotations

from typing import Any

from django import forms

from intake.models import DocumentKind, IntakeDocument
from intake.services.documents import document_size_problem

# Where the page goes back to after attaching: the intake's page, or the physician's case view.
BACK_TO_CASE = "case"


class DocumentAttachForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of document",
        choices=[("", "Choose…"), *DocumentKind.choices],
        error_messages={
            "required": "Kind of document: choose one.",
            "invalid_choice": "Kind of document: choose one of the list.",
        },
    )
    document_date = forms.DateField(
        label="Date of the document",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        help_text="The date of the report, letter, note or result (not today's, unless it is).",
        error_messages={
            "required": "Date of the document: give the date written on it.",
            "invalid": "Date of the document: give a date such as 2026-11-02.",
        },
    )
    title = forms.CharField(
        label="Title (optional)",
        required=False,
        max_length=IntakeDocument._meta.get_field("title").max_length,
        help_text="A few words, for example “Lumbar spine MRI”.",
        error_messages={
            "max_length": "Title: at most %(limit_value)d characters (it has %(show_value)d)."
        },
    )
    file = forms.FileField(
        label="File",
        help_text="A PDF, JPEG or PNG file.",
        widget=forms.FileInput(
            attrs={"accept": "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"}
        ),
        error_messages={
            "required": "File: choose the file to attach.",
            "empty": "File: the file is empty (0 bytes). Choose the file again.",
            "invalid": "File: no file was received. Choose it again.",
        },
    )
    answers_from = forms.MultipleChoiceField(
        label="Answers taken from this document (optional)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick the questions whose answers come from this document.",
        error_messages={
            "invalid_choice": "Answers taken from this document: %(value)s is not a question "
            "of this intake.",
        },
    )
    back = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        answer_choices: list[tuple[str, list[tuple[str, str]]]],
        max_bytes: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["answers_from"].choices = answer_choices
        self.fields[
            "file"
        ].help_text = f"A PDF, JPEG or PNG file, at most {max_bytes // (1024 * 1024)} MB."
        for name, field in self.fields.items():
            if name in ("answers_from", "back"):
                continue
            field.widget.attrs["class"] = "form-select" if name == "kind" else "form-control"
            if name != "file":
                field.widget.attrs["autocomplete"] = "off"
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-help"

    def mark_invalid(self) -> None:
        """Fields with errors drawn as such, their messages read with them."""
        for name in self.errors:
            if name not in self.fields or name == "answers_from":
                continue
            attrs = self.fields[name].widget.attrs
            attrs["class"] = attrs.get("class", "") + " is-invalid"
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = (
                f"{attrs.get('aria-describedby', '')} id_{name}-error".strip()
            )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        problem = document_size_problem(
            name=file.name, size=file.size or 0, oversized=getattr(file, "oversized", False)
        )
        if problem:
            raise forms.ValidationError(problem)
        return file


class DocumentWithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is it withdrawn?",
        max_length=IntakeDocument._meta.get_field("withdrawn_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: “another patient's report”, “attached twice”.",
        error_messages={"required": "Reason: say why the document is withdrawn."},
    )
