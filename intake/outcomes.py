"""Outcome labels for every page, in one place (wording from the criteria file).

The screener suggests; only a physician decides: no label says "approved" or "denied".
"""

from __future__ import annotations

from dataclasses import dataclass

from screener.engine.types import Outcome

OUTCOME_LABELS: dict[str, str] = {
    Outcome.URGENT.value: "Urgent referral",
    Outcome.CONTRAINDICATED.value: "Contraindicated",
    Outcome.NEEDS_INFO.value: "Information needed",
    Outcome.CONSERVATIVE.value: "Conservative care suggested",
    Outcome.CANDIDATE_WITH_CAUTIONS.value: "Meets criteria, cautions to review",
    Outcome.CANDIDATE.value: "Meets criteria",
}

# Shown, prominently, whenever an emergency red flag holds (the outcome is then urgent).
EMERGENCY_LABEL = (
    "EMERGENCY: do not book; contact the on-call spine clinician now or send to the "
    "emergency department today"
)

# Bootstrap contextual colour of each outcome's badge (``text-bg-<colour>``).
OUTCOME_COLOURS: dict[str, str] = {
    Outcome.URGENT.value: "danger",
    Outcome.CONTRAINDICATED.value: "dark",
    Outcome.NEEDS_INFO.value: "warning",
    Outcome.CONSERVATIVE.value: "info",
    Outcome.CANDIDATE_WITH_CAUTIONS.value: "primary",
    Outcome.CANDIDATE.value: "success",
}

NO_OUTCOME_LABEL = "Not screened yet"


def outcome_label(outcome: str, *, emergency: bool = False) -> str:
    """The label of an outcome value; the emergency wording when an emergency red flag holds."""
    if emergency:
        return EMERGENCY_LABEL
    return OUTCOME_LABELS.get(outcome, NO_OUTCOME_LABEL)


def outcome_colour(outcome: str) -> str:
    return OUTCOME_COLOURS.get(outcome, "secondary")


@dataclass(frozen=True)
class Badge:
    """What a page shows for an outcome: its label and Bootstrap colour."""

    label: str
    colour: str


def outcome_badge(outcome: str, *, emergency: bool = False) -> Badge:
    if not outcome:
        return Badge(NO_OUTCOME_LABEL, "secondary")
    label = OUTCOME_LABELS.get(outcome, outcome)
    return Badge(f"{label}: EMERGENCY" if emergency else label, outcome_colour(outcome))
