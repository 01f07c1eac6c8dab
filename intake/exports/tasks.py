"""The task that writes a queue export, on the task worker that runs the criteria jobs.

It reuses that runner's machinery (``screener.tasks``): a heartbeat thread with its own
connection beats ``heartbeat_at`` every quarter of ``CRITERIA_JOB_STALL_SECONDS`` between
batches, so that an export whose worker died shows as stopped on its page. An export is not
resumed: its page offers to export again, and the new export starts from the first row.

The rows are written to an anonymous temporary file in the exports directory (no name: it
disappears with the process if the worker dies) and the file is saved to the exports storage
only once the last row and the completeness line are written. Logs name the export and the
type of an error only, never patient data.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import tempfile
import traceback

from django_tasks import task

from intake.exports import services
from intake.models import QueueExport, queue_export_storage
from intake.selectors import exports as export_selectors
from screener import tasks as job_runner

logger = logging.getLogger(__name__)


@task()
def queue_export_task(export_id: str) -> None:
    """Write the CSV file of one queue export (``QueueExport``)."""
    queue_export_run(export_id)


def queue_export_run(export_id: str) -> None:
    """Start the export, write its rows batch by batch with its progress, save the file. Any
    error stops the export: its page says after how many rows, and no file is kept."""
    export = services.queue_export_start(export_id=export_id)
    if export is None:  # gone, or already run
        return
    heartbeat = job_runner.Heartbeat(
        lambda: services.queue_export_heartbeat(export_id=export_id),
        job_runner.heartbeat_seconds(),
        name=f"queue export {export_id} heartbeat",
    )
    heartbeat.start()
    try:
        _write(export)
    except services.ExportStopped:
        logger.info("queue export %s: stopped elsewhere (stalled); nothing saved", export_id)
    except Exception as exc:
        # The type and the code path only: an exception's message can quote a row.
        logger.error(
            "queue export %s stopped by %s\n%s",
            export_id,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        services.queue_export_fail(
            export_id=export_id, error=f"Stopped by an error: {type(exc).__name__}"
        )
    finally:
        heartbeat.stop()


def _write(export: QueueExport) -> None:
    filters = export_selectors.filters_from_json(export.filters)
    user, now = export.requested_by, export.started_at
    assert now is not None  # set by queue_export_start
    total = export_selectors.queue_export_count(filters=filters, user=user, now=now)
    services.queue_export_progress(export_id=export.pk, written=0, total=total)
    # Beside the files (same disk and permissions), or the system's when the storage has no
    # directory.
    directory = getattr(queue_export_storage(), "location", None)
    if directory is not None:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    with tempfile.TemporaryFile(dir=directory) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(export_selectors.EXPORT_HEADER)
        written = 0
        batches = export_selectors.queue_export_batches(
            filters=filters, user=user, now=now, batch=export_selectors.BATCH_SIZE
        )
        for rows in batches:
            writer.writerows(rows)
            written += len(rows)
            services.queue_export_progress(export_id=export.pk, written=written, total=total)
        writer.writerow([])
        writer.writerow(export_selectors.completeness_line(written))
        text.flush()
        raw.seek(0)
        services.queue_export_finish(export_id=export.pk, content=raw, written=written)
        text.detach()
