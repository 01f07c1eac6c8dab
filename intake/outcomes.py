"""What every page calls an outcome, an emergency and a decision: the wording, in one place.

The screener suggests; only a physician decides. Until a physician decides, an outcome reads
as a suggestion for review ("Appears to meet criteria — awaiting physician review"); once a
decision is in force, the decision is shown first ("Physician decision: not a candidate — Dr
…, date") and the outcome second, as what the screener suggested. No label says "approved" or
"denied".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from intake.names import person_name
from screener import labels
from screener.engine.types import Outcome

if TYPE_CHECKING:
    from intake.models import Decision

# The suggestion itself, as the line "The screener suggested: …" names it: the criteria
# side's labels, one wording on every page.
OUTCOME_LABELS: dict[str, str] = labels.OUTCOME_LABELS

# The same, while no physician has decided: what happens next.
PENDING_SUFFIX: dict[str, str] = {
    Outcome.URGENT.value: "for physician review now",
    Outcome.CONTRAINDICATED.value: "for physician review",
    Outcome.NEEDS_INFO.value: "to complete before physician review",
    Outcome.CONSERVATIVE.value: "for physician review",
    Outcome.CANDIDATE_WITH_CAUTIONS.value: "awaiting physician review",
    Outcome.CANDIDATE.value: "awaiting physician review",
}

# Bootstrap contextual colour of each outcome's badge (``text-bg-<colour>``). No outcome is
# green: a suggestion is not a clearance.
OUTCOME_COLOURS: dict[str, str] = {
    Outcome.URGENT.value: "danger",
    Outcome.CONTRAINDICATED.value: "dark",
    Outcome.NEEDS_INFO.value: "warning",
    Outcome.CONSERVATIVE.value: "info",
    Outcome.CANDIDATE_WITH_CAUTIONS.value: "primary",
    Outcome.CANDIDATE.value: "primary",
}

NO_OUTCOME_LABEL = "Not screened yet"
SUGGESTED_PREFIX = "The screener suggested"


def emergency_label() -> str:
    """Shown, in red, whenever an emergency red flag holds (the outcome is then urgent)."""
    phone = settings.ONCALL_PHONE
    oncall = (
        f"call the on-call spine clinician now on {phone}"
        if phone
        else (
            "call the on-call spine clinician now (no on-call number is configured: ask the clinic "
            "manager to set ONCALL_PHONE)"
        )
    )
    return (
        f"EMERGENCY: do not book. {oncall[:1].upper()}{oncall[1:]}, or send the patient to the "
        "emergency department now."
    )


def outcome_label(outcome: str, *, emergency: bool = False, decided: bool = False) -> str:
    """An outcome as a suggestion: awaiting review until a physician decides (``decided``)."""
    if emergency:
        return emergency_label()
    label = OUTCOME_LABELS.get(outcome)
    if label is None:
        return NO_OUTCOME_LABEL
    if decided:
        return label
    return f"{label} — {PENDING_SUFFIX[outcome]}"


def outcome_colour(outcome: str) -> str:
    return OUTCOME_COLOURS.get(outcome, "secondary")


@dataclass(frozen=True)
class Badge:
    """What a page shows for an outcome: its label and Bootstrap colour."""

    label: str
    colour: str


def outcome_badge(outcome: str, *, decided: bool = False) -> Badge:
    """The badge of an outcome (``intake/_outcome_badge.html`` adds the emergency mark)."""
    if not outcome:
        return Badge(NO_OUTCOME_LABEL, "secondary")
    return Badge(outcome_label(outcome, decided=decided), outcome_colour(outcome))


@dataclass(frozen=True)
class DecisionLine:
    """A decision in force as every page states it, before the screener's suggestion."""

    kind: str
    label: str  # "Not a candidate", "Refer to spine surgery"
    physician: str
    signed_at: object  # datetime
    reason: str
    headline: str  # "Physician decision: not a candidate — Dr …, 2025-03-15"
    colour: str
    planned_procedure_date: datetime.date | None = None  # a proceed decision's plan, if set


DECISION_COLOURS = {
    "proceed": "success",
    "conservative": "info",
    "refer": "warning",
    "request_info": "warning",
    "not_candidate": "dark",
}


def decision_line(decision: Decision) -> DecisionLine:
    label = decision.get_kind_display()
    if decision.refer_to:
        label = f"{label} to {decision.refer_to}"
    physician = person_name(decision.physician)
    signed = timezone.localtime(decision.signed_at)
    return DecisionLine(
        kind=decision.kind,
        label=label,
        physician=physician,
        signed_at=decision.signed_at,
        reason=decision.reason,
        headline=f"Physician decision: {label[:1].lower()}{label[1:]} — {physician}, "
        f"{signed:%Y-%m-%d}",
        colour=DECISION_COLOURS.get(decision.kind, "secondary"),
        planned_procedure_date=decision.planned_procedure_date,
    )
