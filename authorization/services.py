"""Writes of prior-authorization packets: open, edit a draft, attest, move its status, revise.

Every write is audited through ``intake.services.audit.audit_record`` and every status move
is kept in ``PacketStatusChange``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from authorization.models import (
    STATUS_MOVES,
    AuthorizationPacket,
    PacketStatus,
    PacketStatusChange,
)
from authorization.selectors import (
    attestation_of,
    live_content,
    medical_necessity_statement,
    npi_of,
    packet_of_intake,
    proceed_decision,
)
from authorization.snapshot import content_to_json
from intake.models import AuditAction, Intake
from intake.names import person_name
from intake.services.audit import audit_record

# What each move must be given, and the field names it sets.
MOVE_FIELDS: dict[str, tuple[str, ...]] = {
    PacketStatus.SUBMITTED: ("submitted_on", "payer_reference", "channel"),
    PacketStatus.APPROVED: ("authorization_number", "valid_from", "valid_to", "approved_units"),
    PacketStatus.DENIED: ("denial_reason", "denied_criteria"),
    PacketStatus.PENDED: ("pended_request", "pended_due"),
    PacketStatus.APPEALED: ("appealed_on", "appeal_note"),
}
OPTIONAL_MOVE_FIELDS = frozenset({"denied_criteria", "approved_units"})


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _history(
    packet: AuthorizationPacket, *, user: Any, from_status: str, details: dict[str, Any]
) -> None:
    PacketStatusChange.objects.create(
        packet=packet,
        from_status=from_status,
        to_status=packet.status,
        at=packet.status_changed_at,
        by=user,
        details={name: _json_value(value) for name, value in details.items()},
    )


@transaction.atomic
def packet_open(
    *,
    intake: Intake,
    user: Any,
    payer: str,
    member_id: str,
    place_of_service: str,
    now: datetime.datetime,
    request: HttpRequest | None = None,
) -> AuthorizationPacket:
    """Revision 1 of the packet for an intake whose "proceed" decision is in force."""
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    decision = proceed_decision(intake)
    if decision is None:
        raise ValidationError(
            "A packet can be opened only once a physician has decided to proceed."
        )
    if packet_of_intake(intake) is not None:
        raise ValidationError("This intake already has a packet: open it, or start a revision.")
    packet = AuthorizationPacket(
        intake=intake,
        decision=decision,
        revision=1,
        payer=payer.strip(),
        member_id=member_id.strip(),
        place_of_service=place_of_service,
        ordering_physician=decision.physician,
        status=PacketStatus.DRAFT,
        status_changed_at=now,
        created_by=user,
        created_at=now,
        updated_at=now,
    )
    packet.full_clean()
    packet.save()
    _history(packet, user=user, from_status="", details={"revision": 1})
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        user=user,
        patient=intake.patient_id,
        obj=packet,
        part="authorization packet",
    )
    return packet


@transaction.atomic
def packet_update(
    *,
    packet: AuthorizationPacket,
    user: Any,
    payer: str,
    member_id: str,
    place_of_service: str,
    now: datetime.datetime,
    request: HttpRequest | None = None,
) -> AuthorizationPacket:
    """A draft's payer, member id and place of service."""
    packet = AuthorizationPacket.objects.select_for_update().get(pk=packet.pk)
    if packet.status != PacketStatus.DRAFT:
        raise ValidationError("An attested packet cannot be edited: start a new revision.")
    before = {f: getattr(packet, f) for f in ("payer", "member_id", "place_of_service")}
    packet.payer = payer.strip()
    packet.member_id = member_id.strip()
    packet.place_of_service = place_of_service
    packet.updated_at = now
    packet.full_clean()
    packet.save()
    changes = {
        name: (old, getattr(packet, name))
        for name, old in before.items()
        if old != getattr(packet, name)
    }
    audit_record(
        action=AuditAction.CHANGE,
        request=request,
        user=user,
        patient=packet.intake.patient_id,
        obj=packet,
        part="authorization packet",
        changes=changes,
    )
    return packet


def attestation_phrase(user: Any) -> str:
    """What the physician types to attest: their own name as the product shows it."""
    return person_name(user)


@transaction.atomic
def packet_attest(
    *,
    packet: AuthorizationPacket,
    user: Any,
    confirmation: str,
    gaps_acknowledged: bool,
    now: datetime.datetime,
    request: HttpRequest | None = None,
) -> AuthorizationPacket:
    """The physician's attestation: the content is frozen as it stands, with the statement."""
    packet = AuthorizationPacket.objects.select_for_update().get(pk=packet.pk)
    if packet.status != PacketStatus.DRAFT:
        raise ValidationError("This packet is already attested.")
    if proceed_decision(packet.intake) != packet.decision:
        raise ValidationError(
            "The decision this packet rests on is no longer in force: start a new revision "
            "once the case is decided again."
        )
    statement = medical_necessity_statement(packet)
    if not statement:
        raise ValidationError(
            "The criteria set has no statement of medical necessity to attest: ask a criteria "
            "admin to add one."
        )
    if not npi_of(user):
        raise ValidationError(
            "Your NPI is not on file, and a payer needs it on the attestation: an administrator "
            "adds it in Django admin (Physician NPIs)."
        )
    expected = attestation_phrase(user)
    if " ".join(confirmation.split()).casefold() != expected.casefold():
        raise ValidationError(
            {"confirmation": f"Type your name exactly as shown ({expected}) to attest."}
        )
    content = live_content(packet, now=now)
    if content.gaps and not gaps_acknowledged:
        raise ValidationError(
            {
                "gaps_acknowledged": (
                    f"{len(content.gaps)} coverage criteria are not met or not documented: "
                    "confirm you have read them to attest anyway."
                )
            }
        )
    packet.attested_by = user
    packet.attested_at = now
    packet.attestation_statement = statement
    packet.attestation_confirmation = " ".join(confirmation.split())
    frozen = content_to_json(content)
    frozen["status_label"] = PacketStatus.ATTESTED.label
    frozen["attestation"] = content_to_json(attestation_of(packet))  # type: ignore[arg-type]
    packet.content = frozen
    packet.status = PacketStatus.ATTESTED
    packet.status_changed_at = now
    packet.updated_at = now
    packet.full_clean()
    packet.save()
    _history(packet, user=user, from_status=PacketStatus.DRAFT, details={})
    audit_record(
        action=AuditAction.DECIDE,
        request=request,
        user=user,
        patient=packet.intake.patient_id,
        obj=packet,
        part="authorization packet attestation",
    )
    return packet


def _move_problems(packet: AuthorizationPacket, to_status: str, values: dict[str, Any]) -> dict:
    errors: dict[str, str] = {}
    for name in MOVE_FIELDS.get(to_status, ()):
        value = values.get(name)
        if name not in OPTIONAL_MOVE_FIELDS and value in (None, "", []):
            label = AuthorizationPacket._meta.get_field(name).verbose_name
            errors[name] = f"Give the {label}."
    if to_status == PacketStatus.APPROVED:
        start, end = values.get("valid_from"), values.get("valid_to")
        if start and end and end < start:
            errors["valid_to"] = "The approval cannot end before it starts."
    if to_status == PacketStatus.DENIED:
        known = {c["rule_code"] for c in (packet.content or {}).get("criteria", [])}
        unknown = [code for code in values.get("denied_criteria") or [] if code not in known]
        if unknown:
            errors["denied_criteria"] = f"Not criteria of this packet: {', '.join(unknown)}."
    return errors


@transaction.atomic
def packet_move(
    *,
    packet: AuthorizationPacket,
    user: Any,
    to_status: str,
    values: dict[str, Any],
    now: datetime.datetime,
    request: HttpRequest | None = None,
) -> AuthorizationPacket:
    """Record the payer's answer or the coordinator's step: submitted, approved, denied,
    pended or appealed, with what each needs. Attestation has its own service."""
    packet = AuthorizationPacket.objects.select_for_update().get(pk=packet.pk)
    if packet.has_newer_revision:
        raise ValidationError("A newer revision of this packet exists: record it there.")
    if to_status not in STATUS_MOVES.get(packet.status, ()) or to_status not in MOVE_FIELDS:
        raise ValidationError(
            f"A {packet.get_status_display().lower()} packet cannot be marked "
            f"{PacketStatus(to_status).label.lower()}."
        )
    errors = _move_problems(packet, to_status, values)
    if errors:
        raise ValidationError(errors)
    from_status = packet.status
    details = {name: values.get(name) for name in MOVE_FIELDS[to_status]}
    for name, value in details.items():
        setattr(packet, name, value if value is not None else getattr(packet, name))
    packet.status = to_status
    packet.status_changed_at = now
    packet.updated_at = now
    packet.full_clean()
    packet.save()
    _history(packet, user=user, from_status=from_status, details=details)
    audit_record(
        action=AuditAction.CHANGE,
        request=request,
        user=user,
        patient=packet.intake.patient_id,
        obj=packet,
        part="authorization status",
        changes={"status": (from_status, to_status)},
    )
    return packet


@transaction.atomic
def packet_revise(
    *,
    packet: AuthorizationPacket,
    user: Any,
    reason: str,
    now: datetime.datetime,
    request: HttpRequest | None = None,
) -> AuthorizationPacket:
    """A new draft revision of an attested packet (after a denial, documents added, answers
    corrected): built again from the intake as it stands, the old revision kept as it was."""
    packet = AuthorizationPacket.objects.select_for_update().get(pk=packet.pk)
    if packet.status == PacketStatus.DRAFT:
        raise ValidationError("A draft can still be edited: no new revision is needed.")
    if packet.has_newer_revision:
        raise ValidationError("This packet already has a newer revision.")
    if not reason.strip():
        raise ValidationError({"reason": "Say what this revision changes, and why."})
    decision = proceed_decision(packet.intake)
    if decision is None:
        raise ValidationError(
            "The intake has no decision to proceed in force: a physician must decide again "
            "before a new revision."
        )
    revision = AuthorizationPacket(
        intake=packet.intake,
        decision=decision,
        revision=packet.revision + 1,
        previous=packet,
        revision_reason=reason.strip(),
        payer=packet.payer,
        member_id=packet.member_id,
        place_of_service=packet.place_of_service,
        ordering_physician=decision.physician,
        status=PacketStatus.DRAFT,
        status_changed_at=now,
        created_by=user,
        created_at=now,
        updated_at=now,
    )
    revision.full_clean()
    revision.save()
    _history(
        revision,
        user=user,
        from_status="",
        details={"revision": revision.revision, "reason": revision.revision_reason},
    )
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        user=user,
        patient=packet.intake.patient_id,
        obj=revision,
        part="authorization packet revision",
    )
    return revision
