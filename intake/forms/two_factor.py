"""The code form of two-factor sign-in and device set-up (shape only)."""

from __future__ import annotations

import re

from django import forms

CODE_PATTERN = re.compile(r"[0-9]{6}")


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=12,
        help_text="The 6 digits the app shows now.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        error_messages={"required": "Enter the 6-digit code from your authenticator app."},
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not CODE_PATTERN.fullmatch(code):
            raise forms.ValidationError("Enter the 6 digits the app shows (numbers only).")
        return code
