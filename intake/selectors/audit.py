"""Reads of the audit log for the audit report (Django admin): filters that use the model's
indexes and the rows of the CSV export (the report's count is ``BoundedCountPaginator``'s)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import User
from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from intake.models import AuditEvent, Patient

CSV_HEADER = (
    "id",
    "time (UTC)",
    "username",
    "role",
    "action",
    "outcome",
    "patient id",
    "patient MRN",
    "patients shown (ids)",
    "object type",
    "object id",
    "part",
    "changes",
    "detail",
    "source address",
    "previous hash",
    "hash",
)


def patient_id_for(text: str) -> int | None:
    """The patient an auditor typed: an id (digits) or an MRN (as stored: upper case)."""
    text = text.strip()
    if not text:
        return None
    found = Patient.objects.filter(mrn=text.upper()).values_list("pk", flat=True).first()
    if found is None and text.isdigit():
        found = Patient.objects.filter(pk=int(text)).values_list("pk", flat=True).first()
    return found


def events_of_patient(events: QuerySet[AuditEvent], patient_id: int) -> QuerySet[AuditEvent]:
    """Events about the patient, and list pages and exports that showed them.

    PostgreSQL: ``patient`` uses the (patient, at) index and ``patients_shown @> [id]`` the GIN
    index on the list (migration 0007). SQLite has no JSON containment: ``json_each`` instead.
    """
    if connections[events.db].vendor == "postgresql":
        return events.filter(Q(patient_id=patient_id) | Q(patients_shown__contains=[patient_id]))
    table = AuditEvent._meta.db_table
    shown = RawSQL(
        f'SELECT e.id FROM "{table}" e, json_each(e.patients_shown) s WHERE s.value = %s',
        [patient_id],
    )
    return events.filter(Q(patient_id=patient_id) | Q(pk__in=shown))


def events_of_user(events: QuerySet[AuditEvent], text: str) -> QuerySet[AuditEvent]:
    """Events of the user an auditor typed (a username, or an id); a username with no account
    left matches the name the rows kept."""
    text = text.strip()
    user_id = User.objects.filter(username=text).values_list("pk", flat=True).first()
    if user_id is None and text.isdigit():
        user_id = User.objects.filter(pk=int(text)).values_list("pk", flat=True).first()
    if user_id is not None:
        return events.filter(user_id=user_id)
    return events.filter(user__isnull=True, username=text)


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the clinic's time zone (the report's days)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def events_from(events: QuerySet[AuditEvent], day: datetime.date) -> QuerySet[AuditEvent]:
    return events.filter(at__gte=day_start(day))


def events_until(events: QuerySet[AuditEvent], day: datetime.date) -> QuerySet[AuditEvent]:
    """Events up to the end of ``day`` (inclusive)."""
    return events.filter(at__lt=day_start(day + datetime.timedelta(days=1)))


def _cell(value: Any) -> str:
    """Text for a CSV cell; a leading = + - @ is escaped so spreadsheets do not run it."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def audit_csv_rows(events: QuerySet[AuditEvent]) -> Iterator[list[str]]:
    """The header, then one row per event, in the report's order, read in batches."""
    yield list(CSV_HEADER)
    for event in events.select_related("patient").iterator(chunk_size=2000):
        yield [
            _cell(value)
            for value in (
                event.pk,
                event.at.astimezone(datetime.UTC).isoformat(),
                event.username,
                event.role,
                event.action,
                event.outcome,
                event.patient_id,
                event.patient.mrn if event.patient is not None else "",
                " ".join(str(pk) for pk in event.patients_shown),
                event.object_type,
                event.object_id,
                event.part,
                json.dumps(event.changes, sort_keys=True) if event.changes else "",
                event.detail,
                event.source_address,
                event.previous_hash,
                event.hash,
            )
        ]
