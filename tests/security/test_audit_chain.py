"""The audit log is append-only and chained: a changed or deleted row breaks the chain."""

from __future__ import annotations

import pytest
from django.db import connection

from intake.models import AuditEvent, ImmutableDecisionError
from intake.services.audit import audit_chain_break, audit_record
from tests.factories import FrontDeskFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_events_chain_and_the_log_refuses_changes():
    desk = FrontDeskFactory()
    patient = PatientFactory()
    first = audit_record(action="view", user=desk, patient=patient, obj=patient)
    second = audit_record(
        action="change", user=desk, patient=patient, changes={"phone": ["1", "2"]}
    )
    assert second.previous_hash == first.hash
    assert (second.username, second.role, second.changes) == (
        desk.username,
        "Front desk",
        {"phone": ["1", "2"]},
    )
    assert audit_chain_break() is None
    with pytest.raises(ImmutableDecisionError):
        first.save()
    with pytest.raises(ImmutableDecisionError):
        AuditEvent.objects.filter(pk=first.pk).update(action="list")
    with pytest.raises(ImmutableDecisionError):
        AuditEvent.objects.filter(pk=first.pk).delete()


def test_a_row_changed_behind_the_orms_back_is_the_first_broken_one():
    desk = FrontDeskFactory()
    events = [audit_record(action="view", user=desk, detail=str(n)) for n in range(4)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The append-only trigger refuses this; an owner of the database could disable it
            # (rolled back with the test's transaction; pending foreign-key checks run first).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {AuditEvent._meta.db_table} DISABLE TRIGGER USER")
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET detail = 'edited' WHERE id = %s",
            [events[2].pk],
        )
    assert audit_chain_break().pk == events[2].pk


def test_a_user_with_audit_rows_cannot_be_deleted_only_deactivated():
    """Deleting would change rows the chain covers: the user is kept (and deactivated)."""
    from django.db.models import ProtectedError

    desk = FrontDeskFactory()
    audit_record(action="view", user=desk)
    with pytest.raises(ProtectedError):
        desk.delete()
    desk.is_active = False
    desk.save()
    assert audit_chain_break() is None


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", "", [], "203.0.113.9"),  # no proxy
        ("203.0.113.9", "198.51.100.7", [], "203.0.113.9"),  # forged header from a client
        ("10.0.0.2", "198.51.100.7", ["10.0.0.2"], "198.51.100.7"),  # behind the clinic's proxy
        ("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.3", ["10.0.0.2", "10.0.0.3"], "198.51.100.7"),
        ("10.0.0.2", "not-an-address", ["10.0.0.2"], "10.0.0.2"),  # malformed: the proxy
        ("10.0.0.2", "", ["10.0.0.2"], "10.0.0.2"),
    ],
)
def test_the_client_address_believes_only_trusted_proxies(
    rf, settings, remote, forwarded, trusted, expected
):
    """Behind a reverse proxy every client would share its address (and one lockout)."""
    from intake.services.audit import source_address

    settings.TRUSTED_PROXIES = trusted
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert source_address(request) == expected
