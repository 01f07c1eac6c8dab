"""The impact preview's form (criteria admin)."""

from __future__ import annotations

from django import forms


class ImpactPreviewForm(forms.Form):
    limit = forms.IntegerField(
        label="Intakes to preview",
        min_value=1,
        max_value=1_000_000,
        initial=500,
        help_text=(
            "The most recently submitted intakes. Up to 500 are previewed at once; more run in "
            "the background with a progress page."
        ),
    )


class GoldenCaseFromIntakeForm(forms.Form):
    intake = forms.IntegerField(
        label="Intake number",
        min_value=1,
        max_value=999_999_999_999,
        help_text="The number in the intake's address or on the impact preview "
        "(“intake 123”). Its answers and current result are copied; no name, MRN or date "
        "of birth.",
        error_messages={
            "required": "Intake number: give the number of the intake to copy.",
            "invalid": "Intake number: give a whole number, such as 123.",
        },
    )
