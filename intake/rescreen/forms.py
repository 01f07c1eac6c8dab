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
