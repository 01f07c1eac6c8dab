"""The one place that records audit events: every read and change of a patient's record,
prints, exports, decisions, sign-ins and role changes.

``audit_record`` appends one ``AuditEvent``. Rows are chained: each row's ``hash`` is the
SHA-256 of the previous row's hash and the row's own content (canonical JSON), so changing or
deleting any row breaks every hash after it (``manage.py verify_audit`` names the first broken
row). The chain head is one locked row, so concurrent writers chain in turn.

No patient data goes into ``detail``: the patient is referenced by id (``patient``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from intake.models import AuditChainHead, AuditEvent, AuditOutcome, Patient
from intake.roles import roles_of

GENESIS = "0" * 64


def event_digest(previous_hash: str, content: Mapping[str, Any]) -> str:
    """The hash of a row: its predecessor's hash and its content, as canonical JSON."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous_hash}\n{text}".encode()).hexdigest()


def event_content(event: AuditEvent) -> dict[str, Any]:
    """What the hash covers: every field but the id and the two hashes."""
    return {
        "at": event.at.isoformat(),
        "user_id": event.user_id,
        "username": event.username,
        "role": event.role,
        "action": event.action,
        "outcome": event.outcome,
        "patient_id": event.patient_id,
        "patients_shown": list(event.patients_shown),
        "object_type": event.object_type,
        "object_id": event.object_id,
        "part": event.part,
        "changes": event.changes,
        "detail": event.detail,
        "source_address": event.source_address,
    }


def source_address(request: HttpRequest | None) -> str | None:
    """The client's address as the server saw it (a proxy's forwarded address is not trusted
    here; production settings say which header a trusted proxy sets)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    user: Any = None,
    patient: Patient | int | None = None,
    obj: models.Model | None = None,
    part: str = "",
    changes: Mapping[str, tuple[Any, Any] | list[Any]] | None = None,
    outcome: str = AuditOutcome.OK,
    patients_shown: Iterable[int] = (),
    detail: str = "",
    username: str = "",
) -> AuditEvent:
    """Append one event. ``user`` defaults to the request's user; ``changes`` maps a field to
    (old, new); ``patients_shown`` lists the patient ids a list page showed."""
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS}
        )
        event = AuditEvent(
            at=timezone.now(),
            user=user if authenticated else None,
            username=(user.get_username() if authenticated else username)[:150],
            role=", ".join(sorted(roles_of(user))) if authenticated else "",
            action=action,
            outcome=outcome,
            patient_id=patient.pk if isinstance(patient, Patient) else patient,
            patients_shown=sorted(set(patients_shown)),
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            part=part[:120],
            changes={name: list(pair) for name, pair in (changes or {}).items()},
            detail=detail[:300],
            source_address=source_address(request),
            previous_hash=head.last_hash,
        )
        event.hash = event_digest(head.last_hash, event_content(event))
        event.save()
        head.last_hash = event.hash
        head.save(update_fields=["last_hash"])
    return event


def audit_chain_break() -> AuditEvent | None:
    """The first row whose hash does not follow from the row before it, or None when whole."""
    previous = GENESIS
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.previous_hash != previous or event.hash != event_digest(
            previous, event_content(event)
        ):
            return event
        previous = event.hash
    return None
