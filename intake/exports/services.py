"""Writes of queue exports: ask for one, start it, record its progress, finish or stop it,
expire its file. The task (``intake.exports.tasks``) calls these; views only create."""

from __future__ import annotations

import datetime
from typing import IO

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from intake.models import QueueExport, QueueExportStatus, queue_export_storage
from intake.selectors.exports import filters_as_json
from intake.selectors.queue import QueueFilters


class ExportStopped(Exception):
    """The export is no longer running under this task (stopped as stalled, or expired)."""


def keep_for() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.QUEUE_EXPORT_KEEP_HOURS)


def queue_export_create(*, user: User, filters: QueueFilters) -> QueueExport:
    """A queued export of the queue under ``filters`` for ``user``; the caller enqueues its
    task once this is committed."""
    export = QueueExport(requested_by=user, filters=filters_as_json(filters))
    export.full_clean()
    export.save()
    return export


def queue_export_task_set(*, export_id: object, task_id: str) -> None:
    QueueExport.objects.filter(pk=export_id).update(task_id=task_id[:64])


def queue_export_start(
    *, export_id: object, now: datetime.datetime | None = None
) -> QueueExport | None:
    """Mark a queued export running and return it; None when there is nothing to start (gone,
    or already started by another task: an export runs once)."""
    now = now or timezone.now()
    with transaction.atomic():
        export = QueueExport.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.status != QueueExportStatus.QUEUED:
            return None
        export.status = QueueExportStatus.RUNNING
        export.started_at = export.heartbeat_at = now
        export.save(update_fields=["status", "started_at", "heartbeat_at"])
    return export


def _running(export_id: object):
    return QueueExport.objects.filter(pk=export_id, status=QueueExportStatus.RUNNING)


def queue_export_heartbeat(*, export_id: object, now: datetime.datetime | None = None) -> bool:
    """The worker writing the export is alive. False when the export no longer runs."""
    return bool(_running(export_id).update(heartbeat_at=now or timezone.now()))


def queue_export_progress(
    *, export_id: object, written: int, total: int, now: datetime.datetime | None = None
) -> None:
    """Rows written so far (and a heartbeat). Raises ExportStopped when it no longer runs."""
    if not _running(export_id).update(
        written=written, total=total, heartbeat_at=now or timezone.now()
    ):
        raise ExportStopped(export_id)


def queue_export_finish(
    *,
    export_id: object,
    content: IO[bytes],
    written: int,
    now: datetime.datetime | None = None,
) -> QueueExport:
    """Save the complete file to the exports storage and mark the export done, with its expiry.

    The file is saved only here, so that an export that stopped never has one. Raises
    ExportStopped (and saves nothing) when the export no longer runs.
    """
    now = now or timezone.now()
    with transaction.atomic():
        export = _running(export_id).select_for_update().first()
        if export is None:
            raise ExportStopped(export_id)
        storage = queue_export_storage()
        export.file = storage.save(f"{export.pk}.csv", File(content, name=f"{export.pk}.csv"))
        try:
            export.status = QueueExportStatus.DONE
            export.written = written
            export.finished_at = export.heartbeat_at = now
            export.expires_at = now + keep_for()
            export.save(
                update_fields=[
                    "status",
                    "written",
                    "file",
                    "finished_at",
                    "heartbeat_at",
                    "expires_at",
                ]
            )
        except BaseException:
            storage.delete(export.file.name)
            raise
    return export


def queue_export_fail(
    *, export_id: object, error: str, now: datetime.datetime | None = None
) -> bool:
    """Mark a running export stopped (``error`` is shown on its page: no patient data). False
    when it no longer runs."""
    return bool(
        _running(export_id).update(
            status=QueueExportStatus.FAILED, error=error[:2000], finished_at=now or timezone.now()
        )
    )


def queue_exports_stop_stalled(*, now: datetime.datetime, stall_seconds: float) -> int:
    """Mark stopped every running export with no heartbeat for ``stall_seconds`` (its worker
    died); a late write of that worker is then refused. Returns how many."""
    return QueueExport.objects.stalled(now=now, seconds=stall_seconds).update(
        status=QueueExportStatus.FAILED,
        error="The task worker writing it stopped (no sign of life)",
        finished_at=now,
    )


def queue_exports_expire(*, now: datetime.datetime) -> int:
    """Delete the file of every export past its expiry and refuse it from then on; forget the
    patient search of exports older than the files are kept (the other filters stay); delete
    any file in the exports storage that no complete export names (left by a crash between
    saving a file and recording it). Returns how many exports expired."""
    expired = 0
    due = QueueExport.objects.filter(status=QueueExportStatus.DONE, expires_at__lte=now)
    for export_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            export = due.select_for_update().filter(pk=export_id).first()
            if export is None:
                continue
            name = export.file.name
            export.status = QueueExportStatus.EXPIRED
            export.file = ""
            export.save(update_fields=["status", "file"])
            # Deleted once the row no longer names it.
            transaction.on_commit(lambda name=name: queue_export_storage().delete(name))
        expired += 1
    old = QueueExport.objects.filter(created_at__lte=now - keep_for()).exclude(
        status__in=[QueueExportStatus.DONE, QueueExportStatus.RUNNING, QueueExportStatus.QUEUED]
    )
    for export in old.exclude(filters__search="").only("pk", "filters"):
        QueueExport.objects.filter(pk=export.pk).update(filters={**export.filters, "search": ""})
    _sweep_unnamed_files(now=now)
    return expired


def _sweep_unnamed_files(*, now: datetime.datetime) -> None:
    cutoff = now - datetime.timedelta(hours=1)
    storage = queue_export_storage()
    if not storage.exists(""):
        return
    _dirs, files = storage.listdir("")
    named = set(
        QueueExport.objects.filter(status=QueueExportStatus.DONE)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    for name in files:
        # Old files only: a file just saved belongs to an export whose row commits next.
        if name not in named and storage.get_modified_time(name) < cutoff:
            storage.delete(name)
