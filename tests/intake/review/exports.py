"""The queue's CSV export as a physician gets it: the queue's button posts the filters, the task
writes the file (the test settings' immediate backend runs it once the export is committed),
the progress page offers the download."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.test import TestCase
from django.urls import reverse

from intake.models import QueueExport

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
