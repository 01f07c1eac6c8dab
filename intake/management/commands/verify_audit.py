"""``manage.py verify_audit``: walk the audit log's hash chain; exit 0 when it is whole, 1 with
the first broken row (id, time, action) when a row was changed or deleted."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from intake.models import AuditEvent
from intake.services.audit import audit_chain_verify


def _describe(event: AuditEvent) -> str:
    return f"event {event.pk} ({event.at.isoformat()}, {event.action})"


class Command(BaseCommand):
    help = (
        "Check every audit event's hash against the one before it. Exit status 0 when the "
        "chain is whole, 1 naming the first broken row."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        check = audit_chain_verify()
        if check.whole:
            self.stdout.write(f"Audit chain whole: {check.events} events.")
            return
        if check.broken is not None:
            message = f"Audit chain broken at {_describe(check.broken)}: {check.reason}."
        else:
            message = f"Audit chain broken: {check.reason}."
        if check.last_intact is not None:
            message += f" The last intact row is {_describe(check.last_intact)}."
        self.stderr.write(message)
        raise SystemExit(1)
