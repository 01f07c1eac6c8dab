"""The form that records the action taken on an emergency red flag (shape only; the service
holds the rules)."""

from __future__ import annotations

from typing import Any

from django import forms

from intake.models import EmergencyContact


class EmergencyActionForm(forms.Form):
    contacted = forms.ChoiceField(
        label="Action taken",
        choices=EmergencyContact.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": "Action taken: choose who was contacted."},
    )
    contact_name = forms.CharField(
        label="Who was reached (optional)",
        required=False,
        max_length=120,
        help_text="The clinician's name, the service or the hospital.",
    )
    contacted_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        error_messages={
            "required": "When: give the date and time of the contact.",
            "invalid": "When: give the date and time as on the form (for example 2025-03-14 09:30).",
        },
    )
    note = forms.CharField(
        label="Note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was said and what happens next.",
        error_messages={"required": "Note: say what was said and what happens next."},
    )
    corrects = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, prefix: str = "emergency", **kwargs: Any) -> None:
        super().__init__(*args, prefix=prefix, **kwargs)
