"""Reads for the patient's link: the link of a token, the patient's steps, the rate limit per
address, and the patient-reported red flags the staff pages list first."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from intake.models import (
    AuditAction,
    AuditEvent,
    AuditOutcome,
    Intake,
    IntakeStatus,
    PatientLink,
    ScreeningKind,
)
from intake.patient_link.tokens import token_hash
from screener import adapters
from screener.content import fill_placeholders
from screener.models import AnswerSource, CriteriaSet, Question

LINK_OBJECT_TYPE = "intake.patientlink"
# The kind of the set's block that tells a patient with a red flag what to do now.
EMERGENCY_BLOCK_KIND = "patient_emergency"


def link_for_token(token: str) -> PatientLink | None:
    """The link whose hash the token has (usable or not), with its intake and patient."""
    if not token or len(token) > 100:
        return None
    return (
        PatientLink.objects.select_related("intake__patient", "intake__criteria_set")
        .filter(token_hash=token_hash(token))
        .first()
    )


def active_link(*, intake: Intake, now: datetime.datetime) -> PatientLink | None:
    """The intake's link that still works (not revoked, locked or expired), if any."""
    link = PatientLink.objects.filter(
        intake=intake, revoked_at__isnull=True, locked_at__isnull=True
    ).first()
    return link if link is not None and link.usable(now=now) else None


def refused_attempts(*, address: str | None, now: datetime.datetime) -> int:
    """Refused tries at a link (wrong dates of birth, unknown or closed links) from this address
    within the window, counted from the audit log (each is audited)."""
    if not address:
        return 0
    since = now - datetime.timedelta(seconds=settings.PATIENT_LINK_RATE_WINDOW_SECONDS)
    return AuditEvent.objects.filter(
        action=AuditAction.LOGIN_FAILED,
        at__gte=since,
        object_type=LINK_OBJECT_TYPE,
        outcome=AuditOutcome.REFUSED,
        source_address=address,
    ).count()


def rate_limited(*, address: str | None, now: datetime.datetime) -> bool:
    return refused_attempts(address=address, now=now) >= settings.PATIENT_LINK_RATE_LIMIT


@dataclass(frozen=True)
class PatientStep:
    """One screen of the patient's pages: one section of their questions."""

    number: int
    section: str
    questions: tuple[Question, ...]

    @property
    def section_es(self) -> str:
        """The section's Spanish name, as the set gives it on its questions ("" when none)."""
        return next((q.section_es for q in self.questions if q.section_es), "")


def patient_steps(*, criteria_set: CriteriaSet) -> list[PatientStep]:
    """The set's patient questions (source P, not filled by the app), one step per section, in
    checklist order."""
    questions = criteria_set.question_set.filter(
        answer_source=AnswerSource.PATIENT, filled_from=""
    ).order_by("order", "id")
    sections: dict[str, list[Question]] = {}
    for question in questions:
        sections.setdefault(question.section, []).append(question)
    return [
        PatientStep(number=index, section=section, questions=tuple(items))
        for index, (section, items) in enumerate(sections.items(), 1)
    ]


def patient_prompt(question: Question, language: str) -> str:
    """The question as the patient reads it, in their language; the staff prompt otherwise."""
    if language == "es" and question.patient_prompt_es:
        return question.patient_prompt_es
    return question.patient_prompt or question.prompt


@dataclass(frozen=True)
class EmergencyWording:
    """The set's red-flag message as a page shows it: a title and one paragraph."""

    title: str
    text: str


def emergency_wording(*, criteria_set: CriteriaSet, language: str) -> EmergencyWording | None:
    """The set's own red-flag message in the language (its Spanish title and body when the
    language is Spanish and the block has them, else English), placeholders filled by plain
    substitution; None when the set has no such block."""
    block = criteria_set.contentblock_set.filter(kind=EMERGENCY_BLOCK_KIND).first()
    if block is None or not block.items:
        return None
    parameters = adapters.compiled_criteria(criteria_set).parameters
    return EmergencyWording(
        title=fill_placeholders(block.title_in(language), parameters=parameters),
        text=" ".join(
            fill_placeholders(line, parameters=parameters) for line in block.items_in(language)
        ),
    )


def patient_red_flags() -> QuerySet[Intake]:
    """Drafts where the patient's own answers raised an emergency red flag nobody has acted on
    yet: the staff pages list them first (submitted ones are at the top of the queue by rank)."""
    return (
        Intake.objects.filter(
            # queue_rank 0 is an open emergency: the queue's index (status, queue_rank, ...).
            status=IntakeStatus.DRAFT,
            queue_rank=0,
            latest_screening__kind=ScreeningKind.PATIENT,
        )
        .select_related("patient", "latest_screening")
        .defer("answers", "latest_screening__answers", "latest_screening__rule_results")
        .order_by("latest_screening__created_at", "id")
    )
