"""Two-factor devices: set one up, confirm it with a code, give a code after the password.

Every confirmation and every refused code is in the audit log. Codes are checked by
django-otp, which refuses a code already used and, after each wrong code, refuses every code
for 1, 2, 4, 8 ... seconds (``verify_is_allowed``), so codes cannot be guessed at speed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

import django_otp
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from intake.models import AuditAction, AuditOutcome
from intake.services.audit import audit_record
from intake.two_factor import NEEDS_CODE, TWO_FACTOR_SESSION_KEY, two_factor_owed

DEVICE_NAME = "Authenticator app"
CODE_PART = "two-factor code"
DEVICE_PART = "two-factor device"


@dataclass(frozen=True)
class CodeCheck:
    accepted: bool
    # Set when the code was not even checked: too many wrong codes, wait until then.
    retry_after: datetime | None = None


def totp_secret_text(device: TOTPDevice) -> str:
    """The secret as an authenticator app takes it typed in: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def totp_device_start(*, user) -> TOTPDevice:
    """The user's device being set up: the unconfirmed one, or a new one with a new key."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice(user=user, name=DEVICE_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


def _check(*, device: TOTPDevice, code: str) -> CodeCheck:
    """One code against one device, under the device's row lock (a code counts once)."""
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, info = locked.verify_is_allowed()
        if not allowed:
            return CodeCheck(accepted=False, retry_after=(info or {}).get("locked_until"))
        return CodeCheck(accepted=locked.verify_token(code))


def _refused(*, request: HttpRequest, device: TOTPDevice, check: CodeCheck, when: str) -> None:
    detail = f"wrong code {when}"
    if check.retry_after is not None:
        detail = f"code not checked {when}: too many wrong codes"
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        request=request,
        obj=device,
        part=CODE_PART,
        outcome=AuditOutcome.REFUSED,
        detail=detail,
    )


def totp_device_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> CodeCheck:
    """Confirm the user's new device with one code from it. On success the device counts from
    now on, other unconfirmed devices go, and this session counts as verified."""
    check = _check(device=device, code=code)
    if not check.accepted:
        _refused(request=request, device=device, check=check, when="while setting up a device")
        return check
    with transaction.atomic():
        device.refresh_from_db()
        device.confirmed = True
        device.full_clean()
        device.save()
        TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
        audit_record(
            action=AuditAction.CREATE,
            request=request,
            obj=device,
            part=DEVICE_PART,
            detail="authenticator app set up and confirmed with a code",
        )
    _session_verified(request=request, device=device)
    return check


def two_factor_verify(*, request: HttpRequest, code: str) -> CodeCheck:
    """The second step of sign-in: a code from one of the user's confirmed devices."""
    devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True).order_by("id"))
    check = CodeCheck(accepted=False)
    for device in devices:
        check = _check(device=device, code=code)
        if check.accepted:
            audit_record(
                action=AuditAction.LOGIN,
                request=request,
                obj=device,
                part=CODE_PART,
                detail="two-factor code accepted",
            )
            _session_verified(request=request, device=device)
            return check
    if devices:
        _refused(request=request, device=devices[0], check=check, when="at sign-in")
    return check


def two_factor_recheck(*, request: HttpRequest) -> str:
    """What the session owes now (a device may have been removed since sign-in)."""
    owed = request.session[TWO_FACTOR_SESSION_KEY] = two_factor_owed(request.user)
    return owed


def _session_verified(*, request: HttpRequest, device: TOTPDevice) -> None:
    django_otp.login(request, device)
    request.session[TWO_FACTOR_SESSION_KEY] = NEEDS_CODE
