"""The one place that records audit events: every read and change of a patient's record,
prints, exports, decisions, sign-ins and role changes.

``audit_record`` appends one ``AuditEvent``. Rows are chained: each row's ``hash`` is the
SHA-256 of the previous row's hash and the row's own content (canonical JSON), so changing or
deleting any row breaks every hash after it (``manage.py verify_audit`` names the first broken
row). The chain head is one locked row, so concurrent writers chain in turn.

No patient data goes into ``detail``: the patient is referenced by id (``patient``).
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from intake.models import AuditAction, AuditChainHead, AuditEvent, AuditOutcome, Intake, Patient
from intake.roles import roles_of
from intake.services.patients import PATIENT_FIELDS

GENESIS = "0" * 64
Row = TypeVar("Row")


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


def _ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def source_address(request: HttpRequest | None) -> str | None:
    """The client's address: the connection's, or, when the connection comes from one of the
    reverse proxies in ``TRUSTED_PROXIES``, the nearest address in X-Forwarded-For that is not
    one of them. A forwarded address from anyone else is ignored (it could be forged). The audit
    log and the sign-in lockout both use this."""
    if request is None:
        return None
    remote = _ip(request.META.get("REMOTE_ADDR", ""))
    trusted = set(settings.TRUSTED_PROXIES)
    if remote is None or remote not in trusted:
        return remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _ip(hop)
        if address is None:
            break  # a malformed hop: trust nothing beyond it
        if address not in trusted:
            return address
    return remote


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
    object_type: str = "",
    object_id: str = "",
) -> AuditEvent:
    """Append one event. ``user`` defaults to the request's user; ``changes`` maps a field to
    (old, new); ``patients_shown`` lists the patient ids a list page showed. ``object_type`` and
    ``object_id`` name the object when there is no instance (a refused request for an id)."""
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
            object_type=obj._meta.label_lower if obj is not None else object_type[:60],
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else object_id[:40],
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
    if request is not None:
        # The refusal middleware records a refused or failed request only when nothing did.
        request.audit_recorded = True  # type: ignore[attr-defined]
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


@dataclass(frozen=True)
class AuditChainCheck:
    """The result of walking the whole chain (``manage.py verify_audit``).

    ``broken`` is the first row whose hash does not follow from the one before it; when every
    row follows but the chain head names a hash no row has, the newest rows were removed and
    ``last_intact`` is the row the chain now ends at."""

    events: int
    broken: AuditEvent | None = None
    reason: str = ""
    last_intact: AuditEvent | None = None

    @property
    def whole(self) -> bool:
        return not self.reason


def audit_chain_verify() -> AuditChainCheck:
    """Walk every row in id order and check each hash and the chain head."""
    previous, count, last = GENESIS, 0, None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=5000):
        if event.previous_hash != previous:
            return AuditChainCheck(
                count, event, "the row before it was deleted or changed", last_intact=last
            )
        if event.hash != event_digest(previous, event_content(event)):
            return AuditChainCheck(count, event, "its content was changed", last_intact=last)
        previous, count, last = event.hash, count + 1, event
    head = AuditChainHead.objects.filter(pk=1).values_list("last_hash", flat=True).first()
    if head is not None and head != previous:
        return AuditChainCheck(
            count,
            None,
            "the newest rows were removed: the chain head names a hash no row has",
            last_intact=last,
        )
    return AuditChainCheck(count)


# --------------------------------------------------------------------------------------------
# What views record: values as JSON, field changes, answers saved, streamed exports


def audit_value(value: Any) -> Any:
    """A field value as the log stores it (JSON): dates as ISO text, other non-JSON as text."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value)


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value differs; a missing or blank value
    is None (so registering lists only the fields given)."""

    def value(values: Mapping[str, Any], name: str) -> Any:
        found = audit_value(values.get(name))
        return None if found == "" else found

    return {
        name: [value(before, name), value(after, name)]
        for name in sorted(set(before) | set(after))
        if value(before, name) != value(after, name)
    }


def patient_snapshot(patient: Patient | None) -> dict[str, Any]:
    """The fields a person fills in, as stored (empty for a patient not registered yet)."""
    if patient is None:
        return {}
    return {name: audit_value(getattr(patient, name)) for name in PATIENT_FIELDS}


def patient_of_intake(*, intake_id: int) -> int | None:
    """The patient id of one intake (None when there is no such intake)."""
    return Intake.objects.filter(pk=intake_id).values_list("patient_id", flat=True).first()


def patients_of_intakes(intake_ids: Iterable[int]) -> list[int]:
    """The patient ids of these intakes, in batches (SQLite caps a query's parameters)."""
    ids = sorted(set(intake_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 10_000):
        found.update(
            Intake.objects.filter(pk__in=ids[start : start + 10_000])
            .order_by()
            .values_list("patient_id", flat=True)
        )
    return sorted(found)


def intake_answers_before(*, intake_id: int) -> dict[str, Any] | None:
    """The intake's answers as a request finds them, for ``intake_answers_record``."""
    return (
        Intake.objects.filter(pk=intake_id)
        .values("id", "patient_id", "answers", "status", "version")
        .first()
    )


def intake_answers_record(
    *, request: HttpRequest, before: Mapping[str, Any], part: str = "answers"
) -> AuditEvent:
    """After a POST that may have saved an intake's answers: CHANGE with the answers that
    changed (``before`` is the row as the request found it: id, patient_id, answers, status,
    version), or CHANGE "failed" when the request saved nothing (a stale or incomplete form)."""
    after = Intake.objects.filter(pk=before["id"]).values("answers", "status", "version").first()
    saved = after is not None and after["version"] != before["version"]
    detail = ""
    if saved and after["status"] != before["status"]:
        detail = f"status {before['status']} -> {after['status']}"
    return audit_record(
        action=AuditAction.CHANGE,
        request=request,
        patient=before["patient_id"],
        object_type=Intake._meta.label_lower,
        object_id=str(before["id"]),
        part=part,
        changes=field_changes(before["answers"], after["answers"]) if saved else {},
        outcome=AuditOutcome.OK if saved else AuditOutcome.FAILED,
        detail=detail if saved else "nothing saved",
    )


def stream_then_record(
    rows: Iterable[Row],
    *,
    key: Callable[[Row], int | None],
    record: Callable[[list[int], bool], object],
    render: Callable[[Row], Any] = lambda row: row,
) -> Iterator[Any]:
    """Yield ``render(row)`` for each row, collecting ``key(row)`` (None: not counted), then
    call ``record(keys, complete)`` once: when the last row has gone, or when the stream is
    closed early (the client went away: ``complete`` is False and the keys are those sent).
    Give this generator itself to the streaming response, so that closing the response
    closes it."""
    keys: list[int] = []
    complete = False
    try:
        for row in rows:
            found = key(row)
            if found is not None:
                keys.append(found)
            yield render(row)
        complete = True
    finally:
        record(keys, complete)
