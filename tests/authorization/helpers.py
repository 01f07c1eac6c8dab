"""Packets for tests: a submitted intake decided "proceed", a coordinator, a packet opened."""

from __future__ import annotations

import datetime
import io
from typing import Any

import factory
from pypdf import PdfWriter

from authorization import services
from authorization.models import AuthorizationPacket, PhysicianNpi
from intake.models import DecisionKind, Intake, IntakeStatus, ScreeningKind
from intake.roles import AUTHORIZATION
from intake.services import reviews
from intake.services.screenings import screening_record
from tests.factories import PhysicianFactory, UserFactory, _role_declaration
from tests.intake.review.factories import AS_OF, submitted_intake

# A valid NPI (check digit by the Luhn rule over 80840 + the first nine digits).
NPI = "1234567893"
NOW = datetime.datetime(2025, 3, 20, 10, 0, tzinfo=datetime.UTC)
PLANNED = datetime.date(2025, 3, 28)


class CoordinatorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"coord{n}")
    role = _role_declaration(AUTHORIZATION)


def physician_with_npi(npi: str = NPI, **kwargs: Any):
    physician = PhysicianFactory(**kwargs)
    PhysicianNpi.objects.create(user=physician, npi=npi)
    return physician


def proceed_intake(
    *,
    physician=None,
    outcome: str = "candidate",
    planned: datetime.date | None = PLANNED,
    reason: str = "",
    **kw,
) -> Intake:
    """A submitted intake a physician decided to proceed with (the patient insured)."""
    physician = physician or physician_with_npi()
    intake = submitted_intake(outcome=outcome, **kw)
    intake.patient.insurance_payer = "Medicare Part B"
    intake.patient.insurance_member_id = "1EG4-TE5-MK72"
    intake.patient.save()
    reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.PROCEED,
        physician=physician,
        planned_procedure_date=planned,
        reason=reason,
    )
    intake.refresh_from_db()
    return intake


def submit_and_proceed(intake: Intake, physician=None, planned=PLANNED, reason: str = "") -> Intake:
    """Screen a draft intake as submitted on AS_OF and decide "proceed"."""
    screening_record(intake=intake, as_of=AS_OF, kind=ScreeningKind.SUBMISSION)
    intake.status = IntakeStatus.SUBMITTED
    intake.submitted_at = NOW
    intake.save(update_fields=["status", "submitted_at"])
    reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.PROCEED,
        physician=physician or physician_with_npi(),
        planned_procedure_date=planned,
        reason=reason,
    )
    intake.refresh_from_db()
    return intake


def minimal_pdf() -> bytes:
    """A one-page PDF that pypdf reads."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def open_packet(intake: Intake, coordinator=None, now=NOW) -> AuthorizationPacket:
    return services.packet_open(
        intake=intake,
        user=coordinator or CoordinatorFactory(),
        payer=intake.patient.insurance_payer,
        member_id=intake.patient.insurance_member_id,
        place_of_service="22",
        now=now,
    )
