"""Forms of physician review: queue filters and search, decisions, amendments, assignment and
the planned procedure date. They validate shape; the services hold the rules (shared through
``intake.decision_rules`` so every error shows at once)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib.auth.models import User

from intake import decision_rules
from intake.models import DecisionKind, IntakeStatus
from intake.names import person_name
from intake.outcomes import OUTCOME_LABELS
from intake.selectors import codes as code_selectors
from intake.selectors import queue as queue_selectors
from screener.models import Procedure


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


STATUS_CHOICES = [
    (IntakeStatus.SUBMITTED.value, "Waiting for review"),
    (IntakeStatus.INFO_REQUESTED.value, "Information requested"),
    (IntakeStatus.DECIDED.value, "Decided"),
    (queue_selectors.STATUS_ALL, "Any status"),
]


# Submission dates a filter can name: wider than any real submission, and far from the ends of
# the calendar (the queue reads "to" as "before the next day", which 9999-12-31 has not).
FILTER_EARLIEST = datetime.date(1900, 1, 1)
FILTER_LATEST = datetime.date(2100, 12, 31)


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the URL. Invalid values are reported and ignored."""

    outcome = forms.ChoiceField(
        required=False,
        choices=[("", "All outcomes")]
        + [(o, OUTCOME_LABELS[o]) for o in queue_selectors.QUEUE_OUTCOME_ORDER],
    )
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    procedure = forms.ChoiceField(required=False)
    submitted_from = forms.DateField(required=False, label="Submitted from", widget=date_input())
    submitted_to = forms.DateField(required=False, label="Submitted to", widget=date_input())
    assigned = forms.ChoiceField(required=False, label="Assigned to")

    def __init__(
        self,
        data: Any,
        *,
        procedures: Sequence[Procedure],
        physicians: Sequence[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.fields["procedure"].choices = [("", "All procedures")] + [
            (p.slug, p.name) for p in procedures
        ]
        self.fields["assigned"].choices = [
            ("", "Anyone or nobody"),
            (queue_selectors.ASSIGNED_MINE, "Me"),
            (queue_selectors.ASSIGNED_NOBODY, "Nobody (unassigned)"),
        ] + [(str(u.pk), person_name(u)) for u in physicians]
        for field in self.fields.values():
            small = "form-select-sm" if isinstance(field, forms.ChoiceField) else "form-control-sm"
            base = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs["class"] = f"{base} {small}"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in ("submitted_from", "submitted_to"):
            day = cleaned.get(name)
            if day is not None and not FILTER_EARLIEST <= day <= FILTER_LATEST:
                self.add_error(
                    name,
                    f"{self.fields[name].label}: enter a date from {FILTER_EARLIEST.isoformat()} "
                    f"to {FILTER_LATEST.isoformat()}.",
                )
        start, end = cleaned.get("submitted_from"), cleaned.get("submitted_to")
        if start and end and end < start:
            self.add_error("submitted_to", "Submitted to: must be on or after “Submitted from”.")
        return cleaned

    def error_text(self) -> str:
        """Every filter error in one line, each naming its filter (for the CSV export)."""
        lines = []
        for name, errors in self.errors.items():
            label = str(self.fields[name].label or name.capitalize()) if name in self.fields else ""
            for message in errors:
                named = not label or message.startswith(f"{label}:")
                lines.append(message if named else f"{label}: {message}")
        return " ".join(lines)

    def filters(self, *, search: str) -> queue_selectors.QueueFilters:
        """The valid filters (an invalid field is dropped, never fatal) plus the search."""
        self.is_valid()
        data = self.cleaned_data
        return queue_selectors.QueueFilters(
            outcome=data.get("outcome") or "",
            status=data.get("status") or IntakeStatus.SUBMITTED.value,
            procedure=data.get("procedure") or "",
            submitted_from=data.get("submitted_from"),
            submitted_to=data.get("submitted_to"),
            assigned=data.get("assigned") or "",
            search=search,
        )


class QueueSearchForm(forms.Form):
    """Patient name or MRN: posted and kept in the session, never in a URL."""

    q = forms.CharField(required=False, max_length=100, label="Patient name or MRN", strip=True)


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Decision",
        choices=DecisionKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Decision: choose one.",
            "invalid_choice": "Decision: choose one of the listed decisions.",
        },
    )
    refer_to = forms.CharField(
        label="Refer to (service)",
        required=False,
        max_length=120,
        help_text="For a referral: the service, for example spine surgery or oncology.",
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Required unless the decision matches the screener's suggestion. For “Request more "
            "information” this is the note the front desk sees."
        ),
    )
    planned_procedure_date = forms.DateField(
        label="Planned procedure date (optional)",
        required=False,
        widget=date_input(),
        help_text="For “Proceed”: the follow-up dates are computed from it. It can be set later.",
    )
    technique = forms.ChoiceField(
        label="Technique",
        required=False,
        widget=forms.RadioSelect,
        help_text="For “Proceed”: the suggested codes and the billing panel follow it.",
    )
    screening = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This page is out of date: reload the case and decide again.",
            "invalid": "This page is out of date: reload the case and decide again.",
        },
    )

    amendment = False

    def __init__(
        self,
        *args: Any,
        outcome: str,
        today: datetime.date,
        techniques: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.outcome = outcome
        self.today = today
        # The techniques of the coding table of the screening the page shows (looked up from
        # the posted screening when the caller does not know them).
        self.techniques = (
            techniques
            if techniques is not None
            else code_selectors.screening_techniques(
                self.data.get(self.add_prefix("screening")) or self.initial.get("screening")
            )
        )
        if len(self.techniques) > 1:
            self.fields["technique"].choices = list(self.techniques.items())
            self.initial.setdefault("technique", next(iter(self.techniques)))
        else:
            del self.fields["technique"]
        suggested = decision_rules.suggested_decision(outcome)
        if suggested is not None and not self.amendment:
            self.fields["kind"].choices = [
                (value, f"{label} (suggested: no reason needed)" if value == suggested else label)
                for value, label in DecisionKind.choices
            ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if "screening" in self.errors:  # a hidden field: say it where it is seen
            self.add_error(None, self.errors["screening"][0])
        kind = cleaned.get("kind")
        if kind:
            errors = decision_rules.decision_input_errors(
                kind=kind,
                outcome=self.outcome,
                reason=cleaned.get("reason") or "",
                refer_to=cleaned.get("refer_to") or "",
                planned_procedure_date=cleaned.get("planned_procedure_date"),
                earliest_date=self.today,
                amendment=self.amendment,
                technique=cleaned.get("technique") or "",
                techniques=self.techniques,
            )
            for name, message in errors.items():
                self.add_error(name, message)
        return cleaned


class AmendForm(DecisionForm):
    """A new decision superseding the one in force; the reason is always required."""

    amendment = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "amend")
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = "Required: why the decision changes."
        self.fields["kind"].label = "New decision"


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label="Assign to", required=False)
    expected_assignee = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, physicians: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.physicians = {str(u.pk): u for u in physicians}
        self.fields["assignee"].choices = [("", "Nobody (release the case)")] + [
            (pk, person_name(u)) for pk, u in self.physicians.items()
        ]

    def assignee_user(self) -> User | None:
        return self.physicians.get(self.cleaned_data.get("assignee") or "")


class TakeOverForm(forms.Form):
    """Take a case from its holder: only the holder the page showed (no reason asked: the
    audit log records who had it and who took it, and free text there could hold patient
    data)."""

    expected_holder = forms.IntegerField(required=False, widget=forms.HiddenInput)


class FollowUpForm(forms.Form):
    planned_procedure_date = forms.DateField(
        label="Planned procedure date",
        widget=date_input(),
        error_messages={"required": "Planned procedure date: enter the date of the procedure."},
    )
