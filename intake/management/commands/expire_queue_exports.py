"""``manage.py expire_queue_exports``: delete the files of queue exports older than
``QUEUE_EXPORT_KEEP_HOURS`` (their download is refused from then on anyway), mark stopped the
exports whose worker died, and forget the patient search of old exports. Run it hourly (cron, a
systemd timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from intake.exports import services
from screener import tasks as job_runner


class Command(BaseCommand):
    help = (
        "Delete expired queue export files, mark stopped the exports whose worker died, and "
        "forget the patient search of old exports."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        stopped = services.queue_exports_stop_stalled(
            now=now, stall_seconds=job_runner.stall_seconds()
        )
        expired = services.queue_exports_expire(now=now)
        self.stdout.write(f"Queue exports: {expired} expired, {stopped} stopped (no worker).")
