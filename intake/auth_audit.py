"""Sign-ins, sign-outs, failed sign-ins and lockouts, in the audit log.

Receivers of Django's auth signals and of django-axes' ``user_locked_out``, connected when the
app is ready (``IntakeConfig.ready``). Each event goes through ``audit_record``.

A failed attempt is either a wrong username or password (``login_failed``), or an attempt
refused unchecked because the username or address is locked out (``lockout``). Axes marks the
second kind before the signals (``request.axes_locked_out`` set, and no failures counted on this
request). The failure that starts a lockout is written before its ``lockout`` row, once (a
mark on the request), whichever receiver runs first. The attempted username is kept as text
only: nobody signed in, so no user is named.

``intake.two_factor`` is imported first, so its own sign-in receiver has already said whether
the session owes a two-factor code when ``_logged_in`` runs.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from intake.models import AuditAction, AuditOutcome
from intake.services.audit import audit_record
from intake.two_factor import NEEDS_CODE, NEEDS_SETUP, TWO_FACTOR_SESSION_KEY

SIGN_IN_DETAIL = {
    NEEDS_CODE: "password accepted; two-factor code required",
    NEEDS_SETUP: "password accepted; two-factor set-up required",
}


def _refused_while_locked(request: HttpRequest | None) -> bool:
    return bool(getattr(request, "axes_locked_out", False)) and (
        getattr(request, "axes_failures_since_start", None) is None
    )


def _record_failure(request: HttpRequest | None, username: Any) -> None:
    """One ``login_failed`` row per attempt, however many receivers ask."""
    if getattr(request, "_audit_failure_recorded", False):
        return
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        request=request,
        username=str(username or ""),
        outcome=AuditOutcome.REFUSED,
        detail="wrong username or password",
    )
    if request is not None:
        request._audit_failure_recorded = True  # type: ignore[attr-defined]


@receiver(user_logged_in, dispatch_uid="intake.auth_audit.logged_in")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None) or {}
    audit_record(
        action=AuditAction.LOGIN,
        request=request,
        user=user,
        detail=SIGN_IN_DETAIL.get(session.get(TWO_FACTOR_SESSION_KEY), "signed in"),
    )


@receiver(user_logged_out, dispatch_uid="intake.auth_audit.logged_out")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """One row per sign-out; a time-out says why (the session middleware sets the reason)."""
    if user is not None:
        reason = getattr(request, "signed_out_by", "") if request is not None else ""
        audit_record(action=AuditAction.LOGOUT, request=request, user=user, detail=reason)


@receiver(user_login_failed, dispatch_uid="intake.auth_audit.login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if _refused_while_locked(request):
        return  # recorded by _locked_out, which axes calls for this attempt
    _record_failure(request, credentials.get("username"))


@receiver(user_locked_out, dispatch_uid="intake.auth_audit.locked_out")
def _locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, ip_address: str, **kwargs: Any
) -> None:
    if _refused_while_locked(request):
        detail = "sign-in refused unchecked: username or address locked out"
    else:
        _record_failure(request, username)
        minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
        detail = (
            f"locked out for {minutes} minutes after {settings.AXES_FAILURE_LIMIT} failed "
            "sign-ins (username or address)"
        )
    audit_record(
        action=AuditAction.LOCKOUT,
        request=request,
        username=str(username or ""),
        outcome=AuditOutcome.REFUSED,
        detail=detail,
    )
