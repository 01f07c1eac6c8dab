"""The queue's CSV export as a physician gets it: the queue's button posts the filters, the task
writes the file (the test settings' immediate backend runs it once the export is committed),
the progress page offers the download."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from intake.models import QueueExport
from intake.outcomes import OUTCOME_LABELS, DecisionLine
from intake.selectors.exports import csv_cell
from intake.selectors.queue import QueueRow

EXPORT = reverse("review:export")


def export_start(client, params: dict[str, Any] | None = None) -> QueueExport:
    """Post the queue's export button with ``params`` as the queue's filters; run the task."""
    url = EXPORT + (f"?{urlencode(params)}" if params else "")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302, response.content
    export = QueueExport.objects.order_by("-created_at").first()
    assert export is not None
    assert response["Location"] == reverse("review:export-progress", args=[export.pk])
    return export


def download(client, export: QueueExport) -> HttpResponse:
    return client.get(reverse("review:export-download", args=[export.pk]))


def file_rows(response: HttpResponse) -> list[list[str]]:
    """Every line of a downloaded file as CSV rows (header and completeness line included)."""
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body, newline="")))


def exported(client, params: dict[str, Any] | None = None) -> list[list[str]]:
    """The header and rows of the export under ``params``; asserts the file ends with the line
    that says it is complete (after an empty one), which is left out."""
    rows = file_rows(download(client, export_start(client, params)))
    assert rows[-2:] == [[], [f"# Export complete: {len(rows) - 3} rows."]]
    return rows[:-2]


def _local_minute(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _planned(decision: DecisionLine | None) -> str:
    """The planned procedure date of the decision in force (ISO), blank when none is set."""
    planned = decision.planned_procedure_date if decision is not None else None
    return planned.isoformat() if planned is not None else ""


def export_row(row: QueueRow) -> list[str]:
    """The queue page's row (``queue_rows``) as the export's cells, in ``EXPORT_HEADER``'s
    order, escaped: what ``export_cells`` must make, faster, from plain values."""
    return [
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
