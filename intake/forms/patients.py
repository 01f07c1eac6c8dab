"""Patient forms: the record, and the list's search box (posted, never in the URL)."""

from __future__ import annotations

import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.utils import timezone

from intake.models import Patient

PATIENT_ID = re.compile(r"[0-9]{1,18}")
MAX_CONFIRMED_TEXT = 2000
CONFIRMED_INVALID = (
    "The list of patients confirmed as different people was not valid, so nothing was saved. "
    "Save again and check the likely matches."
)


class PatientForm(forms.ModelForm):
    """Validates the shape of a patient record; duplicates are the service's business."""

    # The ids of the likely matches the user saw and confirmed as different people.
    confirmed_distinct_from = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Patient
        fields = (
            "mrn",
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "phone",
            "insurance_payer",
            "insurance_member_id",
            "referring_physician",
        )
        labels = {"mrn": "Medical record number (MRN)"}
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "off")
        self.fields["date_of_birth"].input_formats = ["%Y-%m-%d", "%m/%d/%Y"]
        self.fields["date_of_birth"].help_text = "As on the ID or the referral letter."
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column(Field("mrn"), css_class="col-md-4"),
                Column(Field("first_name"), css_class="col-md-4"),
                Column(Field("last_name"), css_class="col-md-4"),
            ),
            Row(
                Column(Field("date_of_birth"), css_class="col-md-4"),
                Column(Field("sex"), css_class="col-md-4"),
                Column(Field("phone"), css_class="col-md-4"),
            ),
            Row(
                Column(Field("insurance_payer"), css_class="col-md-4"),
                Column(Field("insurance_member_id"), css_class="col-md-4"),
                Column(Field("referring_physician"), css_class="col-md-4"),
            ),
            Field("confirmed_distinct_from"),
        )

    def validate_unique(self) -> None:
        """The service checks the MRN (and tells the user which patient has it)."""

    def clean_mrn(self) -> str:
        mrn = self.cleaned_data["mrn"].strip()
        if not mrn:
            raise forms.ValidationError("Enter the medical record number.")
        return mrn

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError("The date of birth is in the future.")
        if born.year < 1880:
            raise forms.ValidationError("Check the year of the date of birth.")
        return born

    def clean_confirmed_distinct_from(self) -> list[int]:
        """Patient ids as the likely-matches box sends them: ASCII digits, comma-separated."""
        text = self.cleaned_data.get("confirmed_distinct_from") or ""
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if len(text) > MAX_CONFIRMED_TEXT or not all(PATIENT_ID.fullmatch(p) for p in parts):
            # The page sent something it never writes: drop it, so the form shown again
            # carries no bad value, and the likely matches are offered again on the next save.
            self.data = self.data.copy()
            self.data[self.add_prefix("confirmed_distinct_from")] = ""
            raise forms.ValidationError(CONFIRMED_INVALID)
        return [int(part) for part in parts]

    def clean(self):
        cleaned = super().clean()
        if "confirmed_distinct_from" in self.errors:  # a hidden field: say it where it is seen
            self.add_error(None, CONFIRMED_INVALID)
        return cleaned

    def patient_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Search patients",
        required=False,
        max_length=100,
        help_text="Name, MRN, or date of birth (2025-03-14 or 03/14/2025).",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
