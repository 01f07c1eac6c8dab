"""The queue's CSV export in Chromium (issue 12): the queue's button starts it, its page shows
the rows written and updates itself, then offers the file; an export cut short says so and
offers to export again. axe-core checks each state of the page."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from playwright.sync_api import expect

from intake.exports import services
from intake.models import QueueExport
from intake.selectors.queue import QueueFilters
from tests.browser.conftest import assert_no_axe_violations
from tests.factories import PatientFactory
from tests.intake.review.factories import submitted_intake

NOW = datetime.datetime(2025, 3, 17, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def cases(default_set, clock):
    return [
        submitted_intake(
            outcome=outcome,
            patient=PatientFactory(last_name=name, first_name="Ann", mrn=f"X-{hours}"),
            submitted_at=NOW - datetime.timedelta(hours=hours),
        )
        for outcome, name, hours in (
            ("candidate", "Hopper", 30),
            ("urgent", "Fever", 2),
            ("conservative", "Mild", 50),
        )
    ]


def test_export_from_the_queue_to_the_download(cases, new_page, physician_user, screenshot):
    """Button, page ("Export complete: 3 rows."), download: the rows in queue order and the
    file's last line."""
    page = new_page("desktop", user=physician_user)
    page.goto("/review/")
    screenshot(page, "queue")
    page.get_by_role("button", name="Export these cases as CSV").click()
    expect(page.get_by_role("heading", name="CSV export of the review queue")).to_be_visible()
    expect(page.locator("#export-status")).to_contain_text("Export complete: 3 rows.")
    assert_no_axe_violations(page)
    screenshot(page, "export-done")
    link = page.get_by_role("link", name="Download the CSV file")
    response = page.request.get(link.get_attribute("href"))  # the page's cookies
    assert response.headers["content-disposition"] == (
        'attachment; filename="review-queue-20250317-0900.csv"'
    )
    assert "no-store" in response.headers["cache-control"]
    rows = list(csv.reader(io.StringIO(response.text(), newline="")))
    assert [row[2] for row in rows[1:-2]] == ["Fever, Ann", "Hopper, Ann", "Mild, Ann"]
    assert rows[-1] == ["# Export complete: 3 rows."]


def test_the_page_follows_a_running_export_to_its_download(
    cases, new_page, physician_user, screenshot
):
    """While the task writes, the page says "N of M rows written" and updates itself (no
    reload by hand); when the file is saved, the Download link appears."""
    export = services.queue_export_create(user=physician_user, filters=QueueFilters())
    services.queue_export_start(export_id=export.pk)
    services.queue_export_progress(export_id=export.pk, written=2, total=3)
    page = new_page("desktop", user=physician_user)
    page.goto(f"/review/exports/{export.pk}/")
    expect(page.locator("#export-status")).to_contain_text("2 of 3 rows written (66%)")
    expect(page.get_by_role("link", name="Download the CSV file")).to_have_count(0)
    assert_no_axe_violations(page)
    screenshot(page, "export-running")
    services.queue_export_finish(export_id=export.pk, content=io.BytesIO(b"Intake\r\n"), written=3)
    expect(page.get_by_role("link", name="Download the CSV file")).to_be_visible()
    expect(page.locator("#export-status")).to_contain_text("Export complete: 3 rows.")


def test_an_export_cut_short_says_so_and_offers_to_export_again(
    cases, new_page, physician_user, screenshot
):
    export = services.queue_export_create(user=physician_user, filters=QueueFilters())
    services.queue_export_start(export_id=export.pk)
    services.queue_export_progress(export_id=export.pk, written=2, total=3)
    services.queue_export_fail(export_id=export.pk, error="Stopped by an error: OSError")
    page = new_page("desktop", user=physician_user)
    page.goto(f"/review/exports/{export.pk}/")
    expect(page.get_by_role("alert")).to_contain_text(
        "The export stopped after 2 of 3 rows and is incomplete."
    )
    expect(page.get_by_role("alert")).to_contain_text("Stopped by an error: OSError. No file")
    expect(page.get_by_role("link", name="Download the CSV file")).to_have_count(0)
    assert_no_axe_violations(page)
    screenshot(page, "export-stopped")
    page.get_by_role("button", name="Export again").click()
    expect(page.locator("#export-status")).to_contain_text("Export complete: 3 rows.")
    assert QueueExport.objects.count() == 2
