"""The change history of a patient's details, as the patient page lists it: who, when, and
each field that changed from what to what (``Patient.history``, newest first)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from intake.models import Patient, Sex
from intake.names import person_name
from intake.services.patients import PATIENT_FIELDS

REGISTERED = "registered"
CHANGED = "changed"


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class PatientHistoryEntry:
    at: datetime.datetime
    by: str  # the user's full name or username; empty when made outside a request
    kind: str  # REGISTERED or CHANGED
    changes: tuple[FieldChange, ...]


def _text(name: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if name == "sex":
        return str(Sex(value).label) if value in Sex.values else str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _label(name: str) -> str:
    return str(Patient._meta.get_field(name).verbose_name).capitalize()


def _changed(previous: Any, record: Any, name: str) -> bool:
    """A field set at registration, or changed since the record before."""
    if previous is None:
        return getattr(record, name) not in (None, "")
    return getattr(previous, name) != getattr(record, name)


def patient_change_history(*, patient: Patient) -> list[PatientHistoryEntry]:
    """Every registration and edit of the patient's details, newest first (one query)."""
    records = list(
        Patient.history.filter(id=patient.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    entries = []
    previous = None
    for record in records:
        changed = [
            FieldChange(
                _label(name),
                _text(name, getattr(previous, name)) if previous is not None else "—",
                _text(name, getattr(record, name)),
            )
            for name in PATIENT_FIELDS
            if _changed(previous, record, name)
        ]
        user = record.history_user
        if previous is None or changed:
            entries.append(
                PatientHistoryEntry(
                    at=record.history_date,
                    by=person_name(user),
                    kind=REGISTERED if previous is None else CHANGED,
                    changes=tuple(changed),
                )
            )
        previous = record
    entries.reverse()
    return entries
