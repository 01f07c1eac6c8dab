"""A draft's golden case made from a real intake: its answers as its current screening read them
(the age the app filled in included), that screening's date, and what it gave (outcome, rules
that held, questions missing) as the expectation, to be checked and edited by a criteria admin.

No patient identity is copied: the case is named after the intake's number and the outcome
("intake-123-needs_info"). Reading the intake for it is audited like any read of a patient's
record. The case is written by the criteria side's service (``screener.services``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from intake.models import AuditAction, Intake
from intake.services.audit import audit_record
from screener import adapters, services
from screener.labels import outcome_label
from screener.models import CriteriaSet, GoldenCase


class IntakeNotCopyable(ValidationError):
    """The intake named cannot become a golden case of the set (the message says why)."""


@dataclass(frozen=True)
class GoldenCaseFromIntake:
    case: GoldenCase
    left_out: tuple[str, ...]  # answers to questions the draft no longer has


def intake_to_copy(*, criteria_set: CriteriaSet, intake_id: int) -> Intake:
    """The intake, screened and of the set's procedure; ``IntakeNotCopyable`` otherwise."""
    intake = (
        Intake.objects.select_related("latest_screening", "procedure").filter(pk=intake_id).first()
    )
    if intake is None:
        raise IntakeNotCopyable(f"There is no intake {intake_id}.")
    if intake.procedure_id != criteria_set.procedure_id:
        raise IntakeNotCopyable(
            f"Intake {intake_id} is for {intake.procedure}, not {criteria_set.procedure}."
        )
    if intake.latest_screening is None:
        raise IntakeNotCopyable(
            f"Intake {intake_id} has not been screened yet: it is a draft not yet submitted."
        )
    return intake


@transaction.atomic
def golden_case_from_intake(
    *,
    criteria_set: CriteriaSet,
    intake_id: int,
    user: AbstractBaseUser,
    request: HttpRequest | None = None,
) -> GoldenCaseFromIntake:
    """A new golden case of the draft ``criteria_set`` from the intake's current screening.

    Answers, rules and missing questions the draft does not have are left out (the answers
    left out are returned). Raises ``IntakeNotCopyable`` (nothing read, nothing written) or
    ``services.GoldenCaseRefused`` (the set is not a draft).
    """
    intake = intake_to_copy(criteria_set=criteria_set, intake_id=intake_id)
    screening = intake.latest_screening
    assert screening is not None
    spec = adapters.criteria_spec(criteria_set)
    questions = [q.code for q in spec.questions]
    rules = {r.code for r in spec.rules}
    stored = screening.answers if isinstance(screening.answers, dict) else {}
    answers = {code: stored[code] for code in questions if stored.get(code) is not None}
    left_out = tuple(code for code in stored if code not in questions)
    holding = [
        r["code"] for r in screening.rule_results or [] if r.get("holds") and r["code"] in rules
    ]
    missing = [code for code in screening.missing or [] if code in questions]
    case = services.golden_case_create(
        criteria_set=criteria_set,
        name=f"intake-{intake.pk}-{screening.outcome}",
        description=(
            f"From intake {intake.pk}, {outcome_label(screening.outcome)}: its screening of "
            f"{screening.as_of.isoformat()} under {screening.criteria_set}."
        ),
        as_of=screening.as_of,
        answers=answers,
        expected_outcome=screening.outcome,
        expected_holding=holding,
        expected_missing=missing,
        user=user,
    )
    audit_record(
        action=AuditAction.VIEW,
        request=request,
        user=user,
        patient=intake.patient_id,
        obj=intake,
        part="answers and screening",
        detail=f"Copied into golden case {case.name} of {criteria_set} (no identity copied).",
    )
    return GoldenCaseFromIntake(case, left_out)
