"""The rules of a physician's decision, in one place: the decision each outcome suggests, when
a reason is required, the status a decision leads to, and what makes a decision's input
invalid (the planned procedure date included).

The decision form shows every error at once with these rules; the review services enforce
them (they are the authority); the case view and the queue read the suggestion from here.
Pure rules: no database access.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from intake.models import DecisionKind, IntakeStatus
from intake.outcomes import OUTCOME_LABELS
from screener.engine.types import Outcome

# The decision that matches each outcome's suggestion; any other pairing needs a reason.
SUGGESTED_DECISION: dict[str, DecisionKind] = {
    Outcome.CANDIDATE.value: DecisionKind.PROCEED,
    Outcome.CANDIDATE_WITH_CAUTIONS.value: DecisionKind.PROCEED,
    Outcome.CONSERVATIVE.value: DecisionKind.CONSERVATIVE,
    Outcome.URGENT.value: DecisionKind.REFER,
    Outcome.NEEDS_INFO.value: DecisionKind.REQUEST_INFO,
}

# A procedure date further ahead than this is taken for a typing error.
PLANNED_DATE_HORIZON = datetime.timedelta(days=366)


def suggested_decision(outcome: str) -> DecisionKind | None:
    """The decision the outcome suggests; None when it suggests none (contraindicated)."""
    return SUGGESTED_DECISION.get(outcome)


def reason_required(*, kind: str, outcome: str) -> bool:
    """A reason is needed unless the decision is the one the outcome suggests."""
    return SUGGESTED_DECISION.get(outcome) != kind


def status_after(kind: str) -> IntakeStatus:
    """Request information sends the case back to the front desk; anything else decides it."""
    if kind == DecisionKind.REQUEST_INFO:
        return IntakeStatus.INFO_REQUESTED
    return IntakeStatus.DECIDED


def decision_input_errors(
    *,
    kind: str,
    outcome: str,
    reason: str,
    refer_to: str,
    planned_procedure_date: datetime.date | None,
    earliest_date: datetime.date,
    amendment: bool = False,
    technique: str = "",
    techniques: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Field -> message for a decision's input; empty when it may be signed.

    ``techniques`` are those of the screening's criteria set (its coding table): a technique
    named with "proceed" is one of them (none named: the table's first, as suggested).
    Shared by the form (to show every error at once) and the services (the authority).
    """
    errors: dict[str, str] = {}
    kind_label = DecisionKind(kind).label if kind in DecisionKind.values else kind
    if not reason.strip():
        if amendment:
            errors["reason"] = "Reason is required for an amendment: say why the decision changed."
        elif reason_required(kind=kind, outcome=outcome):
            errors["reason"] = (
                f"Reason is required: “{kind_label}” differs from the screener's suggestion "
                f"for “{OUTCOME_LABELS.get(outcome, outcome)}”."
            )
    if kind == DecisionKind.REFER and not refer_to.strip():
        errors["refer_to"] = "Refer to: name the service (for example spine surgery)."
    if kind == DecisionKind.PROCEED and planned_procedure_date is not None:
        error = planned_date_error(planned_procedure_date, earliest=earliest_date)
        if error:
            errors["planned_procedure_date"] = error
    techniques = techniques or {}
    if kind == DecisionKind.PROCEED and technique and technique not in techniques:
        errors["technique"] = (
            f"Technique: choose one ({', '.join(techniques.values())}); the codes follow it."
        )
    return errors


def decision_technique(*, kind: str, technique: str, techniques: Mapping[str, str]) -> str:
    """The technique a decision records: only with "proceed"; the one chosen, else the coding
    table's first (the one the suggested codes are for); none when the table is empty."""
    if kind != DecisionKind.PROCEED or not techniques:
        return ""
    return technique if technique in techniques else next(iter(techniques))


def planned_date_error(planned: datetime.date, *, earliest: datetime.date) -> str:
    """Why a planned procedure date is refused ("" when it is fine): before ``earliest`` (the
    decision date) or more than PLANNED_DATE_HORIZON after it."""
    if planned < earliest:
        return (
            f"Planned procedure date: must be on or after {earliest:%d %b %Y}, the decision date."
        )
    if planned > earliest + PLANNED_DATE_HORIZON:
        return "Planned procedure date: more than a year after the decision; check the year."
    return ""
