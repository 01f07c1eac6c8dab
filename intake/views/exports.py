"""The review queue's CSV export: its progress page, its download, and exporting again.

The queue's "Export these cases as CSV" button posts to ``review.export``, which checks the
filters and calls ``export_start``. Each page answers only the physician who asked for the
export (anyone else gets a 404, as for an export that does not exist). The download is sent
only for a complete export whose file has not expired, never cached, and recorded in the
audit log with the patients it held once the file has gone (or stopped going).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from intake.exports import services, tasks
from intake.models import (
    AuditAction,
    AuditOutcome,
    QueueExport,
    QueueExportStatus,
    queue_export_storage,
)
from intake.permissions import role_required
from intake.roles import PHYSICIAN
from intake.selectors import exports as export_selectors
from intake.selectors.queue import QueueFilters
from intake.services import audit
from screener import tasks as job_runner

# Patients per audit event of a download: a 100,000-row export is recorded as a few events
# (parts of one download, each naming its export) rather than one row of 100,000 ids.
AUDIT_PATIENTS_PER_EVENT = 5000

# Bytes per write of a download.
BLOCK_BYTES = 64 * 1024

# Seconds between the progress page's updates of itself (static/js/job_progress.js).
REFRESH_SECONDS = 2


def export_start(request: HttpRequest, filters: QueueFilters) -> HttpResponse:
    """Create the export, queue its task once the export is committed, show its page."""
    export = services.queue_export_create(user=request.user, filters=filters)

    def enqueue() -> None:
        result = tasks.queue_export_task.enqueue(str(export.pk))
        services.queue_export_task_set(export_id=export.pk, task_id=str(result.id))

    transaction.on_commit(enqueue)
    return redirect("review:export-progress", export_id=export.pk)


def _own_export(request: HttpRequest, export_id: Any) -> QueueExport:
    export = export_selectors.queue_export_of(export_id=export_id, user=request.user)
    if export is None:
        raise Http404("No such export.")
    return export


def export_state(export: QueueExport, *, now) -> str:
    """What the page says: queued, running, stopped (an error, or a worker that died), done,
    or expired (a complete export whose file was, or is due to be, deleted)."""
    if export.is_stalled(now=now, seconds=job_runner.stall_seconds()):
        return "stopped"
    if export.status == QueueExportStatus.FAILED:
        return "stopped"
    if export.status == QueueExportStatus.EXPIRED or (
        export.status == QueueExportStatus.DONE
        and export.expires_at is not None
        and export.expires_at <= now
    ):
        return "expired"
    return str(export.status)


@role_required(PHYSICIAN)
@never_cache
@require_GET
def export_progress(request: HttpRequest, export_id: Any) -> HttpResponse:
    """The export's page: rows written so far, then the download, or why there is none."""
    export = _own_export(request, export_id)
    now = timezone.now()
    state = export_state(export, now=now)
    filters = export_selectors.filters_from_json(export.filters)
    return render(
        request,
        "review/queue_export.html",
        {
            "export": export,
            "state": state,
            "running": state in ("queued", "running"),
            "refresh_seconds": REFRESH_SECONDS,
            "filters_text": export_selectors.filters_text(filters),
            "changed_while_running": state == "done" and export.written != export.total,
            "keep_hours": settings.QUEUE_EXPORT_KEEP_HOURS,
        },
    )


@role_required(PHYSICIAN)
@never_cache
@require_POST
def export_again(request: HttpRequest, export_id: Any) -> HttpResponse:
    """A new export with the filters (and search) of this one."""
    export = _own_export(request, export_id)
    return export_start(request, export_selectors.filters_from_json(export.filters))


@role_required(PHYSICIAN)
@never_cache
@require_GET
def export_download(request: HttpRequest, export_id: Any) -> HttpResponse:
    """The file of a complete export, to the physician who asked, until it expires."""
    export = _own_export(request, export_id)
    if export_state(export, now=timezone.now()) != "done" or not export.file:
        messages.error(request, "This export has no file to download.")
        return redirect("review:export-progress", export_id=export.pk)
    writer = csv.writer(_Echo())
    # Rows are read back and sent one by one, so that the audit records the patients of the
    # rows actually sent: once, when the last has gone or the download stopped.
    lines = audit.stream_then_record(
        _file_rows(export),
        key=_intake_id_of_row,
        record=lambda intake_ids, complete: _audit_download(request, export, intake_ids, complete),
        render=writer.writerow,
    )
    response = StreamingHttpResponse(
        _blocks(lines, BLOCK_BYTES), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{export_selectors.export_file_name(export)}"'
    )
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _blocks(lines: Iterator[str], size: int) -> Iterator[bytes]:
    """The lines joined into blocks of about ``size`` bytes (one write each, not one per row).
    Closing this closes ``lines``: the audit then counts the rows of the block being sent."""
    try:
        block: list[str] = []
        length = 0
        for line in lines:
            block.append(line)
            length += len(line)
            if length >= size:
                yield "".join(block).encode()
                block, length = [], 0
        if block:
            yield "".join(block).encode()
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()


def _file_rows(export: QueueExport) -> Iterator[list[str]]:
    with queue_export_storage().open(export.file.name, "rb") as raw:
        yield from csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))


def _intake_id_of_row(row: list[str]) -> int | None:
    """The intake id of an export row (its first cell); None for the header and last lines."""
    return int(row[0]) if row and row[0].isdigit() else None


def _audit_download(
    request: HttpRequest, export: QueueExport, intake_ids: list[int], complete: bool
) -> None:
    patients = audit.patients_of_intakes(intake_ids)
    parts = [
        patients[start : start + AUDIT_PATIENTS_PER_EVENT]
        for start in range(0, len(patients), AUDIT_PATIENTS_PER_EVENT)
    ] or [[]]
    detail = f"{len(intake_ids)} rows" + ("" if complete else ", stopped before the end")
    for number, part in enumerate(parts, start=1):
        audit.audit_record(
            action=AuditAction.EXPORT,
            request=request,
            obj=export,
            part="review queue CSV",
            patients_shown=part,
            outcome=AuditOutcome.OK if complete else AuditOutcome.FAILED,
            detail=detail + (f", patients part {number} of {len(parts)}" if len(parts) > 1 else ""),
        )
