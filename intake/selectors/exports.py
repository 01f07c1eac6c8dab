"""The review queue as a CSV file: every filtered row in queue order, in batches, with each
cell escaped so that a spreadsheet never runs it as a formula."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from intake.outcomes import OUTCOME_LABELS, DecisionLine
from intake.selectors.queue import QueueFilters, queue_intakes, queue_rows

EXPORT_HEADER = (
    "Intake",
    "MRN",
    "Patient",
    "Age",
    "Procedure",
    "Status",
    "Physician decision",
    "Decided by",
    "Decided at",
    "Planned procedure date",
    "Screener suggested",
    "Emergency",
    "Emergency action recorded",
    "Key reason",
    "Submitted at",
    "Hours waiting (stops at the decision)",
    "Past turnaround limit",
    "Assigned to",
)


def csv_cell(value: Any) -> str:
    """Text for a CSV cell; a leading = + - @ is escaped so spreadsheets do not run it."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _local_minute(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _planned(decision: DecisionLine | None) -> str:
    """The planned procedure date of the decision in force (ISO), blank when none is set."""
    planned = decision.planned_procedure_date if decision is not None else None
    return planned.isoformat() if planned is not None else ""


def queue_export_rows(
    *, filters: QueueFilters, user: User, now: datetime.datetime, batch: int = 500
) -> Iterable[list[str]]:
    """The whole filtered queue as CSV rows (header first), in queue order, in batches."""
    yield list(EXPORT_HEADER)
    intakes = queue_intakes(filters=filters, user=user, now=now)
    last = 0
    while True:
        # Keyset batches would need the rank in the key; offsets are fine for a queue's size.
        chunk = list(intakes[last : last + batch])
        if not chunk:
            return
        for row in queue_rows(chunk, now=now):
            yield [
                csv_cell(value)
                for value in (
                    row.intake_id,
                    row.mrn,
                    row.patient_name,
                    row.age,
                    row.procedure,
                    row.status_label,
                    row.decision.label if row.decision else "",
                    row.decision.physician if row.decision else "",
                    _local_minute(row.decision.signed_at) if row.decision else "",
                    _planned(row.decision),
                    OUTCOME_LABELS.get(row.outcome, row.outcome),
                    "yes" if row.emergency else "no",
                    ("no" if row.emergency_open else "yes") if row.emergency else "",
                    row.key_reason,
                    _local_minute(row.submitted_at) if row.submitted_at else "",
                    (f"{row.waited.total_seconds() / 3600:.1f}" if row.waited is not None else ""),
                    "yes" if row.overdue else "no",
                    row.assigned_to,
                )
            ]
        last += batch
