"""Forms of the prior-authorization pages: they validate shape; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from authorization.models import AuthorizationPacket, PacketStatus, PlaceOfService
from authorization.services import MOVE_FIELDS, OPTIONAL_MOVE_FIELDS


class PacketFieldsForm(forms.ModelForm):
    """Opening a packet, and editing a draft's payer details."""

    class Meta:
        model = AuthorizationPacket
        fields = ["payer", "member_id", "place_of_service"]
        labels = {"payer": "Payer (insurer)", "member_id": "Member id"}
        help_texts = {
            "payer": "From the patient's insurance; correct it here if it changed.",
            "place_of_service": "Where the procedure will be done (CMS place-of-service code).",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place_of_service"].choices = [("", "Choose…"), *PlaceOfService.choices]


class AttestForm(forms.Form):
    confirmation = forms.CharField(label="Type your name to attest", max_length=200, strip=True)
    gaps_acknowledged = forms.BooleanField(
        label="I have read the criteria listed as not met or not documented", required=False
    )


class ReviseForm(forms.Form):
    reason = forms.CharField(
        label="What this revision changes, and why",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def move_form_class(to_status: str) -> type[forms.ModelForm]:
    """The form of one status move: the fields that move records (``MOVE_FIELDS``)."""
    names = list(MOVE_FIELDS[to_status])
    date_fields = {
        name
        for name in names
        if isinstance(AuthorizationPacket._meta.get_field(name), models.DateField)
    }

    class MoveForm(forms.ModelForm):
        class Meta:
            model = AuthorizationPacket
            fields = [name for name in names if name != "denied_criteria"]
            widgets = {name: _DATE for name in date_fields} | {
                name: forms.Textarea(attrs={"rows": 2})
                for name in ("denial_reason", "pended_request", "appeal_note")
                if name in names
            }

        def __init__(self, *args: Any, criteria: list[tuple[str, str]] = (), **kwargs: Any):
            super().__init__(*args, **kwargs)
            for name, field in self.fields.items():
                field.required = name not in OPTIONAL_MOVE_FIELDS
            if "denied_criteria" in names:
                self.fields["denied_criteria"] = forms.MultipleChoiceField(
                    label="Criteria the payer named",
                    choices=list(criteria),
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )

        def values(self) -> dict[str, Any]:
            return {name: self.cleaned_data.get(name) for name in names}

    MoveForm.__name__ = f"{PacketStatus(to_status).name.title()}MoveForm"
    return MoveForm


MOVE_FORMS = {status: move_form_class(status) for status in MOVE_FIELDS}


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Every status"), *PacketStatus.choices], required=False
    )
