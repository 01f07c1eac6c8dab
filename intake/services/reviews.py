"""Physician review: taking and assigning cases, signing decisions, amending them, and the
planned procedure date of a proceed decision.

Every write locks the intake row (``select_for_update``) and re-checks, inside the transaction,
the state the physician saw: two physicians deciding at once cannot both succeed, and the
second is told what the first decided. Nothing is overwritten: a signed decision never changes
(``Decision.save`` refuses it); an amendment is a new decision that supersedes the old one.

A refusal is a ReviewConflict whose ``message`` the page shows and whose ``offer`` says where
the physician's entry goes, so that nothing typed is lost: back in the same form (another
physician has the case: take it over, then send it again), into a new decision on the latest
screening (the case waits for review: it was screened again, or resubmitted), into an
amendment of the decision in force (someone decided or amended first), or nowhere.
"""

from __future__ import annotations

import datetime
from enum import StrEnum

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from intake.decision_rules import (
    decision_input_errors,
    decision_technique,
    planned_date_error,
    status_after,
)
from intake.models import AuditAction, Decision, DecisionKind, Intake, IntakeStatus, Screening
from intake.names import person_name
from intake.roles import PHYSICIAN, has_role
from intake.services.audit import audit_record
from screener import adapters

REVIEW_PERMISSION = "intake.add_decision"


class EntryOffer(StrEnum):
    """Where the physician's entry goes after a conflict (the page fills it in again)."""

    AS_SENT = "as_sent"  # the same form, as typed: take the case over, then send it again
    DECISION = "decision"  # a new decision on the latest screening
    AMENDMENT = "amendment"  # an amendment of the decision in force
    NOTHING = "nothing"  # the case page as it is


class ReviewConflict(Exception):
    """The case changed since the physician opened it; nothing was saved. ``message`` is what
    the page says; ``offer`` where the physician's entry goes (module docstring)."""

    def __init__(
        self,
        message: str,
        *,
        decision: Decision | None = None,
        offer: EntryOffer = EntryOffer.NOTHING,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.decision = decision
        self.offer = offer


class DecisionConflict(ReviewConflict):
    """Another decision was recorded first (``decision`` is that decision)."""


class StaleScreening(ReviewConflict):
    """The intake was screened again (edited or re-screened) after the physician opened it."""

    def __init__(self, message: str, *, screening: Screening | None, offer: EntryOffer) -> None:
        super().__init__(message, offer=offer)
        self.screening = screening


class EmergencyNotHandled(ReviewConflict):
    """An emergency red flag has no recorded action: the decision waits for it."""


class AssignmentConflict(ReviewConflict):
    """Another physician has the case, or it was handed over since the page was opened."""


class CaseHeldByAnother(AssignmentConflict):
    """Another physician has the case: deciding, amending or planning it needs a take-over."""


def _require_reviewer(user: User) -> None:
    if not user.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied("Only physicians record decisions and take cases.")


def _lock(intake_id: int) -> Intake:
    return Intake.objects.select_for_update().get(pk=intake_id)


def current_decision(intake_id: int) -> Decision | None:
    """The latest decision of an intake (the one in force), or None."""
    return (
        Decision.objects.filter(intake_id=intake_id)
        .select_related("physician")
        .order_by("-signed_at", "-id")
        .first()
    )


def _entry_offer(locked: Intake) -> EntryOffer:
    """Where an entry refused because the case changed goes: a decision while the case waits
    for review, else an amendment of the decision in force."""
    if locked.status == IntakeStatus.SUBMITTED:
        return EntryOffer.DECISION
    return EntryOffer.AMENDMENT


def _conflict_message(decision: Decision) -> str:
    when = timezone.localtime(decision.signed_at)
    return (
        f"{person_name(decision.physician)} already recorded "
        f"“{decision.get_kind_display()}” on this case at {when:%H:%M on %d %b %Y}. "
        "Your decision was not saved."
    )


def _check_screening(intake: Intake, screening_id: int) -> Screening:
    screening = intake.latest_screening
    if screening is None or screening.pk != screening_id:
        raise StaleScreening(
            "This case was screened again after you opened it (its answers were edited or it "
            "was re-screened under new criteria). Review the new screening, then decide. "
            "Nothing was saved.",
            screening=screening,
            offer=_entry_offer(intake),
        )
    return screening


def _save_intake(intake: Intake, fields: list[str]) -> None:
    """Validate and save only the review's fields: the rest of the row is the front desk's."""
    others = [f.name for f in Intake._meta.concrete_fields if f.name not in fields]
    intake.full_clean(exclude=others, validate_unique=False)
    intake.save(update_fields=[*fields, "updated_at"])


def _input(
    *, kind: str, reason: str, refer_to: str, planned_procedure_date: datetime.date | None
) -> tuple[str, str, datetime.date | None]:
    """Keep only what the kind uses: a service only for refer, a date only for proceed."""
    return (
        reason.strip(),
        refer_to.strip() if kind == DecisionKind.REFER else "",
        planned_procedure_date if kind == DecisionKind.PROCEED else None,
    )


def _sign(
    locked: Intake,
    *,
    screening: Screening,
    kind: str,
    physician: User,
    reason: str,
    refer_to: str,
    planned_procedure_date: datetime.date | None,
    supersedes: Decision | None = None,
    technique: str = "",
) -> Decision:
    """Validate the input, store the signed decision (an amendment when it supersedes one) and
    move the intake to the status the decision means. The caller holds the intake's row lock.

    Refused while an emergency red flag has no recorded action: the loop is closed first."""
    if locked.emergency_open:
        raise EmergencyNotHandled(
            "This case has an emergency red flag and nobody has recorded the action taken yet. "
            "Record who was contacted and when (above), then sign the decision. Nothing was "
            "saved.",
            offer=_entry_offer(locked),
        )
    reason, refer_to, planned_procedure_date = _input(
        kind=kind, reason=reason, refer_to=refer_to, planned_procedure_date=planned_procedure_date
    )
    now = timezone.now()
    techniques = adapters.compiled_criteria(screening.criteria_set).spec.techniques()
    errors = decision_input_errors(
        kind=kind,
        outcome=screening.outcome,
        reason=reason,
        refer_to=refer_to,
        planned_procedure_date=planned_procedure_date,
        earliest_date=timezone.localdate(now),
        amendment=supersedes is not None,
        technique=technique,
        techniques=techniques,
    )
    if errors:
        raise ValidationError(errors)
    technique = decision_technique(kind=kind, technique=technique, techniques=techniques)
    decision = Decision(
        intake=locked,
        screening=screening,
        kind=kind,
        refer_to=refer_to,
        technique=technique,
        reason=reason,
        physician=physician,
        signed_at=now,
        supersedes=supersedes,
        planned_procedure_date=planned_procedure_date,
        planned_date_set_by=physician if planned_procedure_date else None,
        planned_date_set_at=now if planned_procedure_date else None,
    )
    decision.full_clean()
    decision.save()
    locked.current_decision = decision
    locked.status = status_after(kind)
    _save_intake(locked, ["status", "current_decision"])
    return decision


@transaction.atomic
def review_decide(
    *,
    intake: Intake,
    screening_id: int,
    kind: str,
    physician: User,
    reason: str = "",
    refer_to: str = "",
    planned_procedure_date: datetime.date | None = None,
    technique: str = "",
    request: HttpRequest | None = None,
) -> Decision:
    """Sign a decision on a submitted intake, on the screening the physician reviewed.

    Raises DecisionConflict if the case was decided meanwhile, StaleScreening if it was screened
    again, CaseHeldByAnother if another physician has it (take it over first), ValidationError
    (field -> message) for bad input, PermissionDenied for non-physicians. An unassigned case
    is assigned to the physician who decides it (recorded in the audit log).
    """
    _require_reviewer(physician)
    locked = _lock(intake.pk)
    if locked.status != IntakeStatus.SUBMITTED:
        existing = current_decision(locked.pk)
        if existing is not None:
            raise DecisionConflict(
                _conflict_message(existing), decision=existing, offer=_entry_offer(locked)
            )
        raise ReviewConflict(
            f"This intake is not waiting for review (it is {locked.get_status_display().lower()})."
            " Nothing was saved."
        )
    _require_holder(locked, physician, to="decide")
    decision = _sign(
        locked,
        screening=_check_screening(locked, screening_id),
        kind=kind,
        physician=physician,
        reason=reason,
        refer_to=refer_to,
        planned_procedure_date=planned_procedure_date,
        technique=technique,
    )
    _assign_if_unassigned(locked, physician, request=request)
    intake.status = locked.status
    intake.assigned_to, intake.assigned_at = locked.assigned_to, locked.assigned_at
    return decision


@transaction.atomic
def review_amend(
    *,
    decision: Decision,
    screening_id: int,
    kind: str,
    physician: User,
    reason: str,
    refer_to: str = "",
    planned_procedure_date: datetime.date | None = None,
    technique: str = "",
    request: HttpRequest | None = None,
) -> Decision:
    """Record a new decision that supersedes ``decision``; both stay on record.

    Only the decision in force can be amended, and not once the front desk has resubmitted the
    case (then a new decision is due). The amendment is made on the latest screening. Another
    physician's case needs a take-over first (CaseHeldByAnother), as for a decision.
    """
    _require_reviewer(physician)
    locked = _lock(decision.intake_id)
    current = current_decision(locked.pk)
    if current is not None and current.pk != decision.pk:
        raise DecisionConflict(
            f"This decision was already amended or followed by another one: "
            f"{person_name(current.physician)} recorded "
            f"“{current.get_kind_display()}” at "
            f"{timezone.localtime(current.signed_at):%H:%M on %d %b %Y}. "
            "Your amendment was not saved.",
            decision=current,
            offer=_entry_offer(locked),
        )
    if locked.status == IntakeStatus.SUBMITTED:
        raise ReviewConflict(
            "The front desk resubmitted this case after that decision: record a new decision "
            "on the new screening instead. Nothing was saved.",
            offer=EntryOffer.DECISION,
        )
    _require_holder(locked, physician, to="amend its decision")
    amendment = _sign(
        locked,
        screening=_check_screening(locked, screening_id),
        kind=kind,
        physician=physician,
        reason=reason,
        refer_to=refer_to,
        planned_procedure_date=planned_procedure_date,
        supersedes=decision,
        technique=technique,
    )
    _assign_if_unassigned(locked, physician, request=request)
    return amendment


@transaction.atomic
def review_plan_follow_up(
    *,
    decision: Decision,
    planned_procedure_date: datetime.date,
    physician: User,
    request: HttpRequest | None = None,
) -> Decision:
    """Set (or move) the planned procedure date of the proceed decision in force.

    The date is scheduling, not part of what was signed; who set it and when is recorded.
    """
    _require_reviewer(physician)
    locked = _lock(decision.intake_id)
    current = current_decision(locked.pk)
    if current is None or current.pk != decision.pk or current.kind != DecisionKind.PROCEED:
        raise ReviewConflict(
            "The follow-up plan belongs to a proceed decision that is in force; this one was "
            "amended or is not a proceed decision. Nothing was saved.",
            decision=current,
        )
    _require_holder(locked, physician, to="plan its follow-up")
    error = planned_date_error(
        planned_procedure_date, earliest=timezone.localdate(current.signed_at)
    )
    if error:
        raise ValidationError({"planned_procedure_date": error})
    current.planned_procedure_date = planned_procedure_date
    current.planned_date_set_by = physician
    current.planned_date_set_at = timezone.now()
    current.full_clean()
    current.save(
        update_fields=["planned_procedure_date", "planned_date_set_by", "planned_date_set_at"]
    )
    _assign_if_unassigned(locked, physician, request=request)
    return current


def _holder_message(intake: Intake) -> str:
    since = timezone.localtime(intake.assigned_at) if intake.assigned_at else None
    when = f" since {since:%H:%M on %d %b %Y}" if since else ""
    return f"{person_name(intake.assigned_to)} has this case{when}."


def _require_holder(locked: Intake, physician: User, *, to: str) -> None:
    """Refuse when another physician has the case: taking it from them is an explicit take-over
    (``review_take_over``), recorded, never a side effect of deciding."""
    if locked.assigned_to_id is not None and locked.assigned_to_id != physician.pk:
        raise CaseHeldByAnother(
            f"{_holder_message(locked).removesuffix('.')}; take it over to {to}. Nothing was saved.",
            offer=EntryOffer.AS_SENT,
        )


def _assign(locked: Intake, physician: User, *, request: HttpRequest | None, how: str) -> None:
    """Give the case to ``physician`` and record the change of holder (usernames, old and new).
    The caller holds the intake's row lock."""
    previous = locked.assigned_to
    locked.assigned_to = physician
    locked.assigned_at = timezone.now()
    _save_intake(locked, ["assigned_to", "assigned_at"])
    audit_record(
        action=AuditAction.CHANGE,
        request=request,
        user=physician,
        patient=locked.patient_id,
        obj=locked,
        part="assignment",
        changes={
            "assigned_to": [
                previous.get_username() if previous is not None else None,
                physician.get_username(),
            ]
        },
        detail=how,
    )


def _assign_if_unassigned(locked: Intake, physician: User, *, request: HttpRequest | None) -> None:
    if locked.assigned_to_id is None:
        _assign(locked, physician, request=request, how="assigned to the physician who signed")


@transaction.atomic
def review_take_over(
    *,
    intake: Intake,
    physician: User,
    expected_holder_id: int | None,
    request: HttpRequest | None = None,
) -> Intake:
    """Take a case from the physician who has it, so as to decide, amend or plan it; recorded
    in the audit log (part "assignment": who had it, who has it now).

    ``expected_holder_id`` is the holder the page showed: if the case changed hands since (a
    colleague took it over first), nothing changes. Taking over one's own case changes nothing.
    """
    _require_reviewer(physician)
    locked = _lock(intake.pk)
    if locked.status == IntakeStatus.DRAFT:
        raise ReviewConflict("A draft intake is not in review. Nothing was saved.")
    if locked.assigned_to_id == physician.pk:
        return locked
    if locked.assigned_to_id != expected_holder_id:
        if locked.assigned_to_id is None:
            message = "The case was released after you opened it."
        else:
            message = _holder_message(locked)
        raise AssignmentConflict(message + " It was not taken over; check and try again.")
    _assign(locked, physician, request=request, how="taken over")
    return locked


@transaction.atomic
def review_take(*, intake: Intake, physician: User) -> Intake:
    """Assign the case to oneself; refused if another physician has it (hand-over is explicit)."""
    _require_reviewer(physician)
    locked = _lock(intake.pk)
    if locked.status == IntakeStatus.DRAFT:
        raise ReviewConflict("A draft intake is not in review. Nothing was saved.")
    if locked.assigned_to_id == physician.pk:
        return locked
    if locked.assigned_to_id is not None:
        raise AssignmentConflict(_holder_message(locked) + " It was not taken.")
    locked.assigned_to = physician
    locked.assigned_at = timezone.now()
    _save_intake(locked, ["assigned_to", "assigned_at"])
    return locked


@transaction.atomic
def review_assign(
    *, intake: Intake, assignee: User | None, by: User, expected_assignee_id: int | None
) -> Intake:
    """Assign the case to a physician (or to nobody), from the holder the page showed.

    ``expected_assignee_id`` is who had the case when the page was opened: if it changed since,
    the hand-over is refused rather than silently overriding someone's take.
    """
    _require_reviewer(by)
    if assignee is not None and not has_role(assignee, PHYSICIAN):
        raise ValidationError({"assignee": "Assign to: choose a physician."})
    locked = _lock(intake.pk)
    if locked.status == IntakeStatus.DRAFT:
        raise ReviewConflict("A draft intake is not in review. Nothing was saved.")
    if locked.assigned_to_id != expected_assignee_id:
        if locked.assigned_to_id is None:
            message = "The case was released after you opened it."
        else:
            message = _holder_message(locked)
        raise AssignmentConflict(message + " Nothing was changed; check and try again.")
    locked.assigned_to = assignee
    locked.assigned_at = timezone.now() if assignee is not None else None
    _save_intake(locked, ["assigned_to", "assigned_at"])
    return locked
