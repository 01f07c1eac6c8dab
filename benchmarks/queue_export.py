"""The review queue's CSV export task over an already seeded database (issue 12; goal: 100,000
rows under 30 s on PostgreSQL, in flat memory).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch DJANGO_DEBUG=0 \
        .venv/bin/python benchmarks/queue_export.py [--status all] [--batch 1000]

Seed the database first (`manage.py seed_benchmark --intakes N`, docs/benchmarks.md). Runs the
task's work in this process as a physician (created if missing), for the queue under
``--status`` (``all``: every case that is not a draft), then prints the rows, the time, rows per
second, the file's size and the process's peak memory before and after (``ru_maxrss``). With
``--download`` it then downloads the file through the download view (test client), which
records the download in the audit log (rows that cannot be removed). Otherwise the export row
and its file are deleted at the end, and nothing else in the database changes.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--status", default="all", help="the queue's status filter")
    parser.add_argument("--batch", type=int, default=None, help="rows per keyset batch")
    parser.add_argument(
        "--download", action="store_true", help="time the download too (writes audit events)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from intake.exports import services
    from intake.exports.tasks import queue_export_run
    from intake.models import QueueExport, queue_export_storage
    from intake.roles import PHYSICIAN
    from intake.selectors import exports as export_selectors
    from intake.selectors.queue import QueueFilters

    if args.batch:
        export_selectors.BATCH_SIZE = args.batch
    user, _created = User.objects.get_or_create(username="bench-export-physician")
    group, _created = Group.objects.get_or_create(name=PHYSICIAN)
    user.groups.add(group)
    export = services.queue_export_create(user=user, filters=QueueFilters(status=args.status))
    before = peak_mb()
    started = time.perf_counter()
    queue_export_run(str(export.pk))
    elapsed = time.perf_counter() - started
    export.refresh_from_db()
    size = queue_export_storage().size(export.file.name) if export.file else 0
    print(f"database: {connection.vendor}; status filter: {args.status}")
    print(f"  export {export.status}: {export.written} of {export.total} rows")
    print(
        f"  time {elapsed:.1f} s, {export.written / elapsed:,.0f} rows/s, file {size / 1e6:.1f} MB"
    )
    print(f"  peak RSS before {before:.0f} MB, after {peak_mb():.0f} MB")
    if args.download and export.file:
        from django.test import Client
        from django.urls import reverse

        client = Client()
        client.force_login(user)
        started = time.perf_counter()
        response = client.get(reverse("review:export-download", args=[export.pk]))
        sent = sum(len(chunk) for chunk in response.streaming_content)
        elapsed = time.perf_counter() - started
        print(f"  download {sent / 1e6:.1f} MB in {elapsed:.1f} s (audit recorded)")
        print(f"  peak RSS after the download {peak_mb():.0f} MB")
        return
    if export.file:
        queue_export_storage().delete(export.file.name)
    QueueExport.objects.filter(pk=export.pk).delete()


if __name__ == "__main__":
    main()
