"""The review queue as a CSV file: every filtered row in queue order, in keyset batches, with
each cell escaped so that a spreadsheet never runs it as a formula; and the reads of the
exports a physician asked for (``QueueExport``)."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from intake.models import DecisionKind, IntakeStatus, QueueExport
from intake.names import person_name, person_name_from_columns
from intake.outcomes import OUTCOME_LABELS
from intake.selectors.queue import (
    ASSIGNED_MINE,
    ASSIGNED_NOBODY,
    QUEUE_KEY,
    STATUS_ALL,
    QueueFilters,
    intakes_after,
    queue_intakes,
)
from screener import adapters
from screener.models import Procedure

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

STATUS_LABELS = dict(IntakeStatus.choices)
DECISION_KIND_LABELS = dict(DecisionKind.choices)
# The statuses in which the current decision is in force (``Intake.decision_in_force``).
DECISION_IN_FORCE_STATUSES = (IntakeStatus.DECIDED.value, IntakeStatus.INFO_REQUESTED.value)

# Rows per keyset batch: one query each, and the most rows held in memory at once.
BATCH_SIZE = 1000

# The queue's order, which the keyset follows: unique, since the id ends it.

# What an export row is made of, read as plain values (no model instances: a third of the time
# per row). ``export_cells`` turns them into the export's cells: the queue page's row's, a test
# holds them equal (``tests/intake/review/exports.export_row``).
EXPORT_VALUES = (
    *QUEUE_KEY,
    "overdue",
    "status",
    "outcome",
    "emergency",
    "emergency_open",
    "patient__mrn",
    "patient__last_name",
    "patient__first_name",
    "patient__date_of_birth",
    "procedure__name",
    "latest_screening__key_reason",
    "assigned_to__first_name",
    "assigned_to__last_name",
    "assigned_to__username",
    "current_decision__kind",
    "current_decision__refer_to",
    "current_decision__signed_at",
    "current_decision__planned_procedure_date",
    "current_decision__physician__first_name",
    "current_decision__physician__last_name",
    "current_decision__physician__username",
)

# The start of the file's last line (after one empty line): see ``completeness_line``.
COMPLETE_MARK = "# Export complete:"


def csv_cell(value: Any) -> str:
    """Text for a CSV cell; a leading = + - @ is escaped so spreadsheets do not run it."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class _ExportClock:
    """ "Now", today and the time zone of an export, looked up once."""

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now
        self.zone = timezone.get_current_timezone()
        self.today = now.astimezone(self.zone).date()

    def minute(self, moment: datetime.datetime) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")


def export_cells(values: Any, *, clock: _ExportClock) -> list[str]:
    """One row of ``EXPORT_VALUES`` as the export's cells: the same cells as the queue page's
    row (``queue_rows``) shows, a test holds them equal."""
    decided = values.status in DECISION_IN_FORCE_STATUSES and values.current_decision__kind
    label = planned = decided_by = decided_at = ""
    waited = None
    if values.submitted_at is not None:
        waited = clock.now - values.submitted_at
    if decided:
        label = DECISION_KIND_LABELS.get(values.current_decision__kind, "")
        if values.current_decision__refer_to:
            label = f"{label} to {values.current_decision__refer_to}"
        decided_by = person_name_from_columns(
            values.current_decision__physician__first_name,
            values.current_decision__physician__last_name,
            values.current_decision__physician__username,
        )
        decided_at = clock.minute(values.current_decision__signed_at)
        if values.current_decision__planned_procedure_date is not None:
            planned = values.current_decision__planned_procedure_date.isoformat()
        if values.submitted_at is not None:
            waited = values.current_decision__signed_at - values.submitted_at
    emergency = values.emergency
    return [
        csv_cell(value)
        for value in (
            values.id,
            values.patient__mrn,
            f"{values.patient__last_name}, {values.patient__first_name}",
            adapters.age_on(values.patient__date_of_birth, clock.today),
            values.procedure__name,
            STATUS_LABELS.get(values.status, values.status),
            label,
            decided_by,
            decided_at,
            planned,
            OUTCOME_LABELS.get(values.outcome, values.outcome),
            "yes" if emergency else "no",
            ("no" if values.emergency_open else "yes") if emergency else "",
            values.latest_screening__key_reason or "",
            clock.minute(values.submitted_at) if values.submitted_at else "",
            f"{waited.total_seconds() / 3600:.1f}" if waited is not None else "",
            "yes" if values.overdue else "no",
            person_name_from_columns(
                values.assigned_to__first_name,
                values.assigned_to__last_name,
                values.assigned_to__username,
            )
            if values.assigned_to__username is not None
            else "",
        )
    ]


def queue_export_count(*, filters: QueueFilters, user: User, now: datetime.datetime) -> int:
    """How many rows the export of the filtered queue has (one count query)."""
    return queue_intakes(filters=filters, user=user, now=now).order_by().count()


def queue_export_batches(
    *,
    filters: QueueFilters,
    user: User,
    now: datetime.datetime,
    batch: int = BATCH_SIZE,
) -> Iterator[list[list[str]]]:
    """The filtered queue's rows as CSV cells, in queue order, ``batch`` rows at a time.

    Keyset pagination: each batch is the next ``batch`` rows after the last one sent, by
    ``(queue_rank, submitted_at, id)`` (a row-value comparison; with the rank stored and
    indexed, an index range scan), so every batch costs the same, unlike an OFFSET that sorts
    and skips every earlier row again. One batch at a time is held in memory.

    A case whose rank changes while the export runs (an emergency action recorded, a
    re-screen) can move behind the key (left out) or ahead of it (twice); the count taken at the
    start (``queue_export_count``) against the rows written shows such a change.
    """
    intakes = queue_intakes(filters=filters, user=user, now=now).values_list(
        *EXPORT_VALUES, named=True
    )
    clock = _ExportClock(now)
    after: tuple[Any, ...] | None = None
    while True:
        page = intakes
        if after is not None:
            page = intakes_after(page, after)
        chunk = list(page[:batch])
        if not chunk:
            return
        yield [export_cells(values, clock=clock) for values in chunk]
        if len(chunk) < batch:
            return
        last = chunk[-1]
        after = (last.queue_rank, last.submitted_at, last.id)


def queue_export_rows(
    *, filters: QueueFilters, user: User, now: datetime.datetime, batch: int = BATCH_SIZE
) -> Iterator[list[str]]:
    """The header, then every row of ``queue_export_batches`` (without the last line)."""
    yield list(EXPORT_HEADER)
    for rows in queue_export_batches(filters=filters, user=user, now=now, batch=batch):
        yield from rows


def completeness_line(written: int) -> list[str]:
    """The file's last line, after an empty one: "# Export complete: 1234 rows."

    One cell in the first column, after an empty row: a spreadsheet shows it under the table
    and leaves it out of the table's own range (sorting, filters and pivot tables stop at the
    empty row); a program reading the file skips it as a comment (``comment="#"`` in pandas,
    ``comment.char="#"`` in R). No thousands separator: a comma would quote the cell, and a
    line that starts with a quote is no longer a comment to those readers. A file without this
    line was cut short.
    """
    return [f"{COMPLETE_MARK} {written} rows."]


# --------------------------------------------------------------------------------------------
# The filters an export was asked with, kept as JSON on the export


def filters_as_json(filters: QueueFilters) -> dict[str, Any]:
    values = dataclasses.asdict(filters)
    for name in ("submitted_from", "submitted_to"):
        if values[name] is not None:
            values[name] = values[name].isoformat()
    return values


def filters_from_json(values: dict[str, Any]) -> QueueFilters:
    known = {field.name for field in dataclasses.fields(QueueFilters)}
    kept = {name: value for name, value in values.items() if name in known}
    for name in ("submitted_from", "submitted_to"):
        if kept.get(name):
            kept[name] = datetime.date.fromisoformat(kept[name])
    return QueueFilters(**kept)


def filters_text(filters: QueueFilters) -> str:
    """The filters in words, for the export's page ("Submitted, urgent referral, ..."); the
    patient search is named, not quoted."""
    if filters.status == STATUS_ALL:
        parts = ["every status"]
    else:
        parts = [str(IntakeStatus(filters.status).label) if filters.status else "every status"]
    if filters.outcome:
        parts.append(str(OUTCOME_LABELS.get(filters.outcome, filters.outcome)).lower())
    if filters.procedure:
        procedure = Procedure.objects.filter(slug=filters.procedure).first()
        parts.append(procedure.name if procedure is not None else filters.procedure)
    if filters.submitted_from:
        parts.append(f"submitted from {filters.submitted_from.isoformat()}")
    if filters.submitted_to:
        parts.append(f"submitted to {filters.submitted_to.isoformat()}")
    if filters.assigned == ASSIGNED_MINE:
        parts.append("assigned to me")
    elif filters.assigned == ASSIGNED_NOBODY:
        parts.append("unassigned")
    elif filters.assigned.isdigit():
        parts.append(f"assigned to {person_name(User.objects.filter(pk=filters.assigned).first())}")
    if filters.search.strip():
        parts.append("with a patient search")
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------
# Reads of exports


def queue_export_of(*, export_id: Any, user: User) -> QueueExport | None:
    """The export ``export_id`` when ``user`` asked for it; None otherwise (another's export is
    not told apart from one that does not exist)."""
    return QueueExport.objects.filter(pk=export_id, requested_by=user).first()


def export_file_name(export: QueueExport) -> str:
    """The name the browser saves the file under: review-queue-<local start, to the minute>."""
    stamp = timezone.localtime(export.started_at or export.created_at).strftime("%Y%m%d-%H%M")
    return f"review-queue-{stamp}.csv"
