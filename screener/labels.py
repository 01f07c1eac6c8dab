"""What the criteria admin's pages call an outcome: its label, with the engine's code small
beside it where a criteria admin needs the code (golden cases name outcomes by code).

The intake side's pages use these same labels (``intake.outcomes.OUTCOME_LABELS`` is this
dictionary): one wording everywhere.
"""

from __future__ import annotations

from screener.engine.types import Outcome

OUTCOME_LABELS: dict[str, str] = {
    Outcome.URGENT.value: "Urgent referral",
    Outcome.CONTRAINDICATED.value: "Possible contraindication",
    Outcome.NEEDS_INFO.value: "Information needed",
    Outcome.CONSERVATIVE.value: "Conservative care suggested",
    Outcome.CANDIDATE_WITH_CAUTIONS.value: "Appears to meet criteria, cautions to review",
    Outcome.CANDIDATE.value: "Appears to meet criteria",
}

OUTCOME_CHOICES_LABELLED = [(o.value, f"{OUTCOME_LABELS[o.value]} ({o.value})") for o in Outcome]


def outcome_label(code: str | None) -> str:
    """An outcome's label ("Appears to meet criteria"); an unknown code as it is."""
    if not code:
        return ""
    return OUTCOME_LABELS.get(code, code)


def outcome_text(code: str | None) -> str:
    """An outcome as one line of text: its label and its code ("Information needed
    (needs_info)")."""
    label = outcome_label(code)
    return f"{label} ({code})" if label and label != code else label
