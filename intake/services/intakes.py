"""Writes of intakes: start, save a draft, submit, and edit after submission.

Concurrency: every write locks the intake row (``select_for_update``) and checks, inside the
transaction, the status and the version the user's form was loaded at. So a double click, the
back button or two tabs produce one screening, and a save from a stale form is refused instead
of silently overwriting someone else's answers (``Intake.version`` is optimistic locking).

The policy, decided here under the lock, and what each refusal tells the page:

- A draft saved or submitted from an older version whose answers are the ones stored now (a
  double click, a reload after saving) is no conflict: it is saved or submitted as if current.
- A draft saved or submitted from an older version with other answers raises StaleIntake:
  nothing is saved, the page lists the differences and keeps what was typed.
- A draft saved or submitted after it was submitted raises AlreadySubmitted, whose ``resent``
  says which case it is: the same answers again (the back button, a second click: nothing to do
  but show the result) or other answers (another tab, a colleague: they were not saved).
- An edit with a reason is never taken for a resend: a stale one raises StaleIntake, since
  saving it again would make a second screening.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from intake.models import (
    AnswerEntry,
    EntrySource,
    Intake,
    IntakeStatus,
    Patient,
    PatientLink,
    Screening,
    ScreeningKind,
)
from intake.roles import FRONT_DESK, PHYSICIAN, has_role
from intake.selectors.provenance import current_answer_entries, unconfirmed_patient_codes
from intake.services.screenings import screening_record
from screener import adapters, engine
from screener.models import CriteriaSet, Procedure
from screener.selectors import newest_published_set

EDITABLE_AS_DRAFT = (IntakeStatus.DRAFT, IntakeStatus.INFO_REQUESTED)
EDITABLE_WITH_REASON = (IntakeStatus.SUBMITTED, IntakeStatus.DECIDED)
RESUBMIT_REASON = "Information added at the physician's request."


class IntakeRefused(Exception):
    """A write the intake's current state does not allow; ``message`` says why, for the user."""

    def __init__(self, message: str, intake: Intake | None = None):
        self.message = message
        self.intake = intake
        super().__init__(message)


class StaleIntake(IntakeRefused):
    """Someone saved other answers after this form was loaded; nothing was saved. ``intake`` is
    the current one (the page lists what differs and keeps what was typed)."""


class AlreadySubmitted(IntakeRefused):
    """The intake is no longer a draft; nothing was saved. ``resent`` is True when the request
    sends the answers already stored (a second click, the back button: show the result), False
    when it sends others (another tab, a colleague: keep them in the form, as an edit)."""

    def __init__(self, message: str, intake: Intake | None = None, *, resent: bool = False):
        super().__init__(message, intake)
        self.resent = resent


class NotSubmitted(IntakeRefused):
    """Edit-with-reason is for submitted intakes; a draft is simply saved."""


def _locked(intake_id: int) -> Intake:
    return (
        Intake.objects.select_for_update(of=("self",))
        .select_related("patient", "criteria_set__procedure")
        .get(pk=intake_id)
    )


def _check_version(intake: Intake, version: int) -> None:
    if intake.version != version:
        raise StaleIntake(
            "Someone else saved this intake after you opened it. Nothing of yours was saved "
            "yet: your answers are still in the form. Check the differences listed, then save "
            "again.",
            intake,
        )


def _resends_stored_answers(
    intake: Intake, *, changes: Mapping[str, Any], rejected: Collection[str], as_of: datetime.date
) -> bool:
    """Whether the request only sends again what is stored: every answer it sends equals the
    stored one (as stored: "5.0" is 5) and the form refused none (a refused answer is never
    one that was stored)."""
    if rejected:
        return False
    try:
        clean = validate_answer_changes(
            criteria_set=intake.criteria_set, changes=changes, as_of=as_of
        )
    except ValidationError:
        return False
    return all(intake.answers.get(code) == value for code, value in clean.items())


def _check_draft_write(
    intake: Intake,
    *,
    version: int,
    changes: Mapping[str, Any],
    rejected: Collection[str],
    as_of: datetime.date,
) -> None:
    """Refuse a draft write the intake's state does not allow (AlreadySubmitted, StaleIntake);
    a stale form that only resends the stored answers passes."""
    if intake.status not in EDITABLE_AS_DRAFT:
        if _resends_stored_answers(intake, changes=changes, rejected=rejected, as_of=as_of):
            raise AlreadySubmitted(
                "This intake was already submitted; here is its result. Nothing was submitted "
                "twice.",
                intake,
                resent=True,
            )
        raise AlreadySubmitted(
            "This intake was submitted meanwhile with other answers, so yours were not saved. "
            "They are still in the form below: give a reason and save to change the submitted "
            "intake.",
            intake,
        )
    if intake.version != version and _resends_stored_answers(
        intake, changes=changes, rejected=rejected, as_of=as_of
    ):
        return
    _check_version(intake, version)


def validate_answer_changes(
    *, criteria_set: CriteriaSet, changes: Mapping[str, Any], as_of: datetime.date
) -> dict[str, Any]:
    """Check changes (question code -> JSON value, or None to clear) against the set.

    Returns them as stored JSON values (whole numbers as int, dates as text); raises a
    ValidationError naming every bad field. Questions the app fills from the patient's record are refused.
    """
    spec = adapters.compiled_criteria(criteria_set).spec
    derived = {q.code for q in spec.questions if q.filled_by_app}
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for code, value in changes.items():
        if code in derived:
            errors[code] = "is filled in by the app and cannot be typed."
            continue
        if spec.question(code) is None:
            errors[code] = "is not a question of this criteria set."
            continue
        try:
            typed = engine.parse_answers(spec, {code: value}, as_of)[code]
        except engine.AnswerError as exc:
            errors[code] = exc.message
            continue
        clean[code] = adapters.stored_answers({code: typed}).get(code)
    if errors:
        raise ValidationError(errors)
    return clean


def apply_answer_changes(intake: Intake, changes: Mapping[str, Any]) -> None:
    """Put checked changes into the intake's answers (None removes one); nothing is saved."""
    answers = dict(intake.answers)
    for code, value in changes.items():
        if value is None:
            answers.pop(code, None)
        else:
            answers[code] = value
    intake.answers = answers


def entry_source_of(user: User | None) -> str:
    """Staff for the front desk (and anyone else, a system importing through the FHIR API
    included: no user), clinician for a physician who is not also front desk."""
    if user is not None and has_role(user, PHYSICIAN) and not has_role(user, FRONT_DESK):
        return EntrySource.CLINICIAN
    return EntrySource.STAFF


PATIENT_CORRECTION_REASON = "is the patient's answer: give the reason for correcting it."
UNCONFIRMED_MESSAGE = (
    "is the patient's answer: confirm it with the patient, or correct it with a reason, "
    "before submitting."
)


def answer_entries_record(
    *,
    intake: Intake,
    before: Mapping[str, Any],
    source: str,
    user: User | None,
    patient_link: PatientLink | None = None,
    reasons: Mapping[str, str] | None = None,
    default_reason: str = "",
    confirm: Collection[str] = (),
) -> list[AnswerEntry]:
    """Record one entry per answer that differs between ``before`` and ``intake.answers``, and
    confirm the patient's answers named in ``confirm`` (the front desk read them back).

    A staff or clinician change of an answer whose current entry is the patient's needs a
    reason (``reasons[code]``, or ``default_reason``): both entries are kept, the new one
    naming the one it corrects. Raises ValidationError naming each such answer without one.
    Called inside the writing service's transaction, so a refusal saves nothing.
    """
    reasons = reasons or {}
    now = timezone.now()
    current = current_answer_entries(intake_id=intake.pk)
    errors: dict[str, str] = {}
    written = []
    for code in sorted(set(before) | set(intake.answers)):
        old, new = before.get(code), intake.answers.get(code)
        if old == new:
            continue
        previous = current.get(code)
        reason = (reasons.get(code) or default_reason).strip()
        corrects_patient = (
            previous is not None
            and previous.source == EntrySource.PATIENT
            and source != EntrySource.PATIENT
            and previous.value is not None
        )
        if corrects_patient and not reason:
            errors[code] = PATIENT_CORRECTION_REASON
            continue
        entry = AnswerEntry(
            intake=intake,
            question_code=code,
            value=new,
            source=source,
            entered_by=None if source == EntrySource.PATIENT else user,
            patient_link=patient_link,
            at=now,
            replaces=previous,
            reason=reason[:500] if corrects_patient or source != EntrySource.PATIENT else "",
        )
        entry.full_clean()
        entry.save()
        written.append(entry)
    if errors:
        raise ValidationError(errors)
    for code in confirm:
        previous = current.get(code)
        if (
            previous is None
            or previous.source != EntrySource.PATIENT
            or previous.confirmed_at is not None
            or intake.answers.get(code) != previous.value
        ):
            continue  # not the patient's now, already confirmed, or just corrected
        previous.confirmed_by = user
        previous.confirmed_at = now
        previous.save(update_fields=["confirmed_by", "confirmed_at"])
    return written


def _check_patient_answers_confirmed(intake: Intake) -> None:
    unconfirmed = unconfirmed_patient_codes(intake_id=intake.pk)
    if unconfirmed:
        raise ValidationError({code: UNCONFIRMED_MESSAGE for code in unconfirmed})


@transaction.atomic
def intake_start(*, patient: Patient, procedure: Procedure, user: User) -> tuple[Intake, bool]:
    """Start an intake pinned to the procedure's newest published set; (intake, created).

    A patient has at most one draft per procedure: starting again (a double click, or a
    colleague at the same moment) opens the draft already there.
    """
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    draft = (
        Intake.objects.filter(patient=patient, procedure=procedure, status=IntakeStatus.DRAFT)
        .order_by("-created_at", "-id")
        .first()
    )
    if draft is not None:
        return draft, False
    criteria_set = newest_published_set(procedure)
    if criteria_set is None:
        raise IntakeRefused(
            f"{procedure.name} has no published criteria set yet; ask a criteria admin."
        )
    intake = Intake(
        patient=patient,
        procedure=procedure,
        criteria_set=criteria_set,
        status=IntakeStatus.DRAFT,
        answers={},
        created_by=user,
    )
    intake.full_clean()
    intake.save()
    return intake, True


@transaction.atomic
def intake_save_draft(
    *,
    intake_id: int,
    changes: Mapping[str, Any],
    version: int,
    user: User,
    as_of: datetime.date,
    rejected: Collection[str] = (),
    confirm: Collection[str] = (),
    reasons: Mapping[str, str] | None = None,
) -> Intake:
    """Save answers of a draft (or of an intake the physician asked information for).

    Each changed answer is recorded with its source (``answer_entries_record``); ``confirm``
    names the patient's answers the user confirmed, ``reasons`` the reasons for correcting them.

    ``changes`` holds only valid answers; the caller leaves out what the user must correct
    (their codes in ``rejected``), so those keep their stored value and every other answer is
    saved. Raises AlreadySubmitted or StaleIntake as the module says; a stale form that resends
    the stored answers is saved.
    """
    intake = _locked(intake_id)
    _check_draft_write(intake, version=version, changes=changes, rejected=rejected, as_of=as_of)
    clean = validate_answer_changes(criteria_set=intake.criteria_set, changes=changes, as_of=as_of)
    before = dict(intake.answers)
    apply_answer_changes(intake, clean)
    answer_entries_record(
        intake=intake,
        before=before,
        source=entry_source_of(user),
        user=user,
        reasons=reasons,
        confirm=confirm,
    )
    intake.version += 1
    intake.full_clean()
    intake.save()
    return intake


@transaction.atomic
def intake_submit(
    *,
    intake_id: int,
    changes: Mapping[str, Any],
    version: int,
    user: User,
    as_of: datetime.date,
    note: str = "",
    confirm: Collection[str] = (),
    reasons: Mapping[str, str] | None = None,
) -> Screening:
    """Save the answers, screen them and send the intake to the physician (status submitted).

    Missing answers are allowed (the outcome is then needs_info). A draft gets a submission
    screening; an intake the physician asked information for gets an edit screening whose
    reason is ``note`` (or a standard one). Refused, with no screening made, when the intake
    was already submitted (AlreadySubmitted) or the form is stale with other answers than the
    stored ones (StaleIntake); a stale form that resends the stored answers is submitted.
    Refused (ValidationError naming each question) while an answer the patient gave is neither
    confirmed nor corrected (``confirm`` and ``reasons`` as ``intake_save_draft``'s).
    """
    intake = _locked(intake_id)
    _check_draft_write(intake, version=version, changes=changes, rejected=(), as_of=as_of)
    clean = validate_answer_changes(criteria_set=intake.criteria_set, changes=changes, as_of=as_of)
    resubmission = intake.status == IntakeStatus.INFO_REQUESTED
    before = dict(intake.answers)
    apply_answer_changes(intake, clean)
    answer_entries_record(
        intake=intake,
        before=before,
        source=entry_source_of(user),
        user=user,
        reasons=reasons,
        confirm=confirm,
    )
    _check_patient_answers_confirmed(intake)
    if intake.emergency_open:
        raise ValidationError(
            "The patient reported an emergency red flag through their link: record the action "
            "taken (in the emergency box) before submitting. Nothing was submitted."
        )
    intake.version += 1
    intake.status = IntakeStatus.SUBMITTED
    if not resubmission:
        intake.submitted_at = timezone.now()
        intake.submitted_by = user
    intake.full_clean()
    intake.save()
    if resubmission:
        return screening_record(
            intake=intake,
            as_of=as_of,
            kind=ScreeningKind.EDIT,
            reason=note.strip() or RESUBMIT_REASON,
            user=user,
        )
    return screening_record(intake=intake, as_of=as_of, kind=ScreeningKind.SUBMISSION, user=user)


@transaction.atomic
def intake_edit(
    *,
    intake_id: int,
    changes: Mapping[str, Any],
    version: int,
    reason: str,
    user: User,
    as_of: datetime.date,
) -> Screening:
    """Change a submitted (or decided) intake's answers, with a reason, and screen again.

    The earlier screenings and any decisions stay on record; a decided intake goes back to
    submitted so the physician sees the new screening.
    """
    intake = _locked(intake_id)
    if intake.status not in EDITABLE_WITH_REASON:
        raise NotSubmitted(
            "This intake is not submitted: change its answers in the form and save or submit.",
            intake,
        )
    _check_version(intake, version)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for changing a submitted intake."})
    clean = validate_answer_changes(criteria_set=intake.criteria_set, changes=changes, as_of=as_of)
    before = dict(intake.answers)
    apply_answer_changes(intake, clean)
    answer_entries_record(
        intake=intake,
        before=before,
        source=entry_source_of(user),
        user=user,
        default_reason=reason,
    )
    intake.version += 1
    intake.status = IntakeStatus.SUBMITTED
    intake.full_clean()
    intake.save()
    return screening_record(
        intake=intake, as_of=as_of, kind=ScreeningKind.EDIT, reason=reason, user=user
    )
