"""The link itself: token, hash, expiry, revocation, date-of-birth lockout."""

from __future__ import annotations

import datetime
import hashlib

import pytest

from intake.models import PatientLink
from intake.patient_link import services
from intake.patient_link.selectors import link_for_token
from intake.services.intakes import IntakeRefused
from tests.intake.patient_link.conftest import BIRTH, NOON

pytestmark = pytest.mark.django_db


def test_token_has_256_random_bits_and_only_its_hash_is_stored(draft, desk):
    """Each token is 43 URL-safe characters (32 random bytes); the row keeps the SHA-256 only."""
    tokens = {services.patient_link_create(intake_id=draft.pk, user=desk)[1] for _ in range(5)}
    assert len(tokens) == 5
    for token in tokens:
        assert len(token) == 43
        assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    stored = set(PatientLink.objects.values_list("token_hash", flat=True))
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    assert not any(token in h for token in tokens for h in stored)


def test_link_expires_after_the_configured_days(link_and_token, frozen, settings):
    link, token = link_and_token
    assert link.expires_at == NOON + datetime.timedelta(days=settings.PATIENT_LINK_DAYS)
    frozen.move_to(link.expires_at - datetime.timedelta(seconds=1))
    assert (
        services.link_closed_reason(
            link_for_token(token), now=link.expires_at - datetime.timedelta(seconds=1)
        )
        is None
    )
    frozen.move_to(link.expires_at)
    assert (
        services.link_closed_reason(link_for_token(token), now=link.expires_at) == services.EXPIRED
    )


def test_a_new_link_revokes_the_one_before(draft, desk):
    first, _ = services.patient_link_create(intake_id=draft.pk, user=desk)
    second, _ = services.patient_link_create(intake_id=draft.pk, user=desk)
    first.refresh_from_db()
    assert first.revoked_at is not None and first.revoked_by == desk
    assert second.revoked_at is None
    assert PatientLink.objects.filter(intake=draft, revoked_at__isnull=True).count() == 1


def test_revoked_link_is_closed(link_and_token, desk):
    link, token = link_and_token
    services.patient_link_revoke(link_id=link.pk, user=desk)
    assert services.link_closed_reason(link_for_token(token), now=NOON) == services.REVOKED


def test_only_a_draft_gets_a_link(draft, desk):
    draft.status = "submitted"
    draft.save()
    with pytest.raises(IntakeRefused):
        services.patient_link_create(intake_id=draft.pk, user=desk)


def test_fifth_wrong_birth_date_locks_the_link(link_and_token, settings):
    link, _ = link_and_token
    wrong = datetime.date(1950, 1, 1)
    for tries_left in (4, 3, 2, 1):
        check = services.patient_link_check_birth_date(link_id=link.pk, date_of_birth=wrong)
        assert (check.passed, check.locked, check.tries_left) == (False, False, tries_left)
    check = services.patient_link_check_birth_date(link_id=link.pk, date_of_birth=wrong)
    assert (check.passed, check.locked) == (False, True)
    with pytest.raises(services.LinkClosed) as closed:
        services.patient_link_check_birth_date(link_id=link.pk, date_of_birth=BIRTH)
    assert closed.value.reason == services.LOCKED
