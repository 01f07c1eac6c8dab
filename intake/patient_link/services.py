"""Writes of the patient's link: create and revoke (front desk), check the date of birth, save
the patient's answers.

Saving screens the answers as they are saved (the same evaluation as the front desk's live
panel, ``adapters.screen_answers``); a new emergency red flag is stored as a screening of kind
``patient``, which opens the emergency (``Intake.emergency_open``): the intake goes to the top
of the staff's pages with "patient reported a red flag", and the emergency action record is
required before the case goes on.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from intake.models import EntrySource, Intake, IntakeStatus, PatientLink, ScreeningKind
from intake.patient_link.selectors import patient_steps
from intake.patient_link.tokens import new_token, token_hash
from intake.selectors.provenance import current_answer_entries
from intake.services.intakes import (
    EDITABLE_AS_DRAFT,
    IntakeRefused,
    answer_entries_record,
    apply_answer_changes,
    validate_answer_changes,
)
from intake.services.screenings import screening_record
from screener import adapters


class LinkClosed(Exception):
    """The link cannot be used (expired, revoked, locked, or its intake is no longer a draft);
    ``reason`` is one of the constants below, for the page to word."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


EXPIRED, REVOKED, LOCKED, SUBMITTED = "expired", "revoked", "locked", "submitted"


def link_closed_reason(link: PatientLink, *, now: datetime.datetime) -> str | None:
    if link.locked_at is not None:
        return LOCKED
    if link.revoked_at is not None:
        return REVOKED
    if now >= link.expires_at:
        return EXPIRED
    if link.intake.status not in EDITABLE_AS_DRAFT:
        return SUBMITTED
    return None


@transaction.atomic
def patient_link_create(*, intake_id: int, user: User) -> tuple[PatientLink, str]:
    """A new link for a draft intake: (link, token). The token is returned once and never
    stored (only its hash); the intake's earlier active link is revoked (one active link)."""
    intake = Intake.objects.select_for_update(of=("self",)).get(pk=intake_id)
    if intake.status != IntakeStatus.DRAFT:
        raise IntakeRefused("A patient link is for a draft intake only.", intake)
    now = timezone.now()
    PatientLink.objects.filter(
        intake=intake, revoked_at__isnull=True, locked_at__isnull=True
    ).update(revoked_at=now, revoked_by=user)
    token = new_token()
    link = PatientLink(
        intake=intake,
        token_hash=token_hash(token),
        created_by=user,
        created_at=now,
        expires_at=now + datetime.timedelta(days=settings.PATIENT_LINK_DAYS),
    )
    link.full_clean()
    link.save()
    return link, token


@transaction.atomic
def patient_link_revoke(*, link_id: int, user: User) -> PatientLink:
    link = PatientLink.objects.select_for_update().get(pk=link_id)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.revoked_by = user
        link.save(update_fields=["revoked_at", "revoked_by"])
    return link


@dataclass(frozen=True)
class BirthDateCheck:
    passed: bool
    locked: bool  # this failure locked the link
    tries_left: int


@transaction.atomic
def patient_link_check_birth_date(*, link_id: int, date_of_birth: datetime.date) -> BirthDateCheck:
    """Compare the date of birth given with the patient's. A wrong one counts; the
    ``PATIENT_LINK_MAX_FAILURES``th locks the link (staff issue a new one). Raises LinkClosed
    for a link that cannot be used."""
    link = (
        PatientLink.objects.select_for_update(of=("self",))
        .select_related("intake__patient")
        .get(pk=link_id)
    )
    now = timezone.now()
    reason = link_closed_reason(link, now=now)
    if reason is not None:
        raise LinkClosed(reason)
    limit = settings.PATIENT_LINK_MAX_FAILURES
    if date_of_birth == link.intake.patient.date_of_birth:
        link.last_opened_at = now
        link.save(update_fields=["last_opened_at"])
        return BirthDateCheck(passed=True, locked=False, tries_left=limit - link.failed_attempts)
    link.failed_attempts += 1
    locked = link.failed_attempts >= limit
    if locked:
        link.locked_at = now
    link.save(update_fields=["failed_attempts", "locked_at"])
    return BirthDateCheck(
        passed=False, locked=locked, tries_left=max(0, limit - link.failed_attempts)
    )


@dataclass(frozen=True)
class PatientSave:
    intake: Intake
    changed: dict[str, tuple[Any, Any]]  # code -> (old, new)
    red_flag_raised: bool  # this save raised a new emergency red flag


def patient_question_codes(intake: Intake) -> set[str]:
    return {
        q.code for step in patient_steps(criteria_set=intake.criteria_set) for q in step.questions
    }


@transaction.atomic
def patient_answers_save(
    *, link_id: int, changes: Mapping[str, Any], as_of: datetime.date
) -> PatientSave:
    """Save the patient's answers of one step (code -> JSON value, None for blank) and screen
    the intake's answers as they now stand.

    Only the patient's own questions are taken (others: ValidationError). A blank clears an
    answer only when it was the patient's; an answer the clinic entered stays. Every change is
    an ``AnswerEntry`` of source patient (the front desk confirms it before submitting). A new
    emergency red flag is stored as a screening of kind ``patient`` (the emergency opens).
    Raises LinkClosed when the link or its intake no longer takes answers.
    """
    link = PatientLink.objects.select_related("intake").get(pk=link_id)
    intake = (
        Intake.objects.select_for_update(of=("self",))
        .select_related("patient", "criteria_set__procedure")
        .get(pk=link.intake_id)
    )
    link.intake = intake
    reason = link_closed_reason(link, now=timezone.now())
    if reason is not None:
        raise LinkClosed(reason)
    allowed = patient_question_codes(intake)
    foreign = sorted(set(changes) - allowed)
    if foreign:
        raise ValidationError({code: "is not one of your questions." for code in foreign})
    current = current_answer_entries(intake_id=intake.pk)
    wanted = {
        code: value
        for code, value in changes.items()
        if value is not None or (code in current and current[code].source == EntrySource.PATIENT)
    }
    clean = validate_answer_changes(criteria_set=intake.criteria_set, changes=wanted, as_of=as_of)
    clean.update({code: None for code, value in wanted.items() if value is None})
    before = dict(intake.answers)
    apply_answer_changes(intake, clean)
    changed = {
        code: (before.get(code), intake.answers.get(code))
        for code in clean
        if before.get(code) != intake.answers.get(code)
    }
    if not changed:
        return PatientSave(intake=intake, changed={}, red_flag_raised=False)
    answer_entries_record(
        intake=intake, before=before, source=EntrySource.PATIENT, user=None, patient_link=link
    )
    intake.version += 1
    intake.full_clean()
    intake.save()
    result, _screened = adapters.screen_answers(
        intake.criteria_set,
        intake.answers,
        as_of=as_of,
        patient=adapters.PatientRecord(
            date_of_birth=intake.patient.date_of_birth, sex=intake.patient.sex
        ),
    )
    raised = False
    if result.emergency and not intake.emergency:
        screening_record(intake=intake, as_of=as_of, kind=ScreeningKind.PATIENT, user=None)
        raised = True
    return PatientSave(intake=intake, changed=changed, red_flag_raised=raised)
