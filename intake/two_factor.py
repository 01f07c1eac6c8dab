"""Two-factor sign-in (TOTP through django-otp): who is asked, and the gate that asks.

A user with a confirmed authenticator device gives a code after the password before any page
opens. Physicians, criteria admins, authorization coordinators and anyone else who can open
Django admin (staff, such as auditors, and superusers) may set one up; with ``MFA_REQUIRED`` on they must, before any page
opens. Front desk is never asked.

What a session still owes is decided once, when the user signs in, and kept in the session
(``TWO_FACTOR_SESSION_KEY``): so pages cost no query for it. ``TwoFactorMiddleware`` (after
django-otp's ``OTPMiddleware``) sends the user to the code page or the set-up page until it is
paid; only sign-in, sign-out, the health check and the two-factor pages stay open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django_otp import user_has_device

from intake.roles import AUTHORIZATION, CRITERIA_ADMIN, PHYSICIAN, has_role

# Roles offered a second factor (and required to have one when MFA_REQUIRED is on). Authorization
# coordinators download patients' documents and send them to payers.
TWO_FACTOR_ROLES = (PHYSICIAN, CRITERIA_ADMIN, AUTHORIZATION)

TWO_FACTOR_SESSION_KEY = "two_factor"
# What the session owes: a code from the user's device, a device set-up, or nothing.
NEEDS_CODE = "code"
NEEDS_SETUP = "setup"
NOTHING = "none"

# Pages that stay open before the second factor (by URL name).
OPEN_VIEWS = frozenset({"login", "logout", "admin:login", "admin:logout", "healthz"})
OPEN_NAMESPACE = "two_factor"


def two_factor_offered(user: Any) -> bool:
    """Whether the user may set up (and, with MFA_REQUIRED, must have) a device."""
    return bool(user.is_authenticated) and (
        user.is_staff or user.is_superuser or has_role(user, *TWO_FACTOR_ROLES)
    )


def two_factor_owed(user: Any) -> str:
    """What a new session of this user owes (one query for a user with a role that is offered
    a device; none for anyone else)."""
    if not two_factor_offered(user):
        return NEEDS_CODE if user_has_device(user, confirmed=True) else NOTHING
    if user_has_device(user, confirmed=True):
        return NEEDS_CODE
    return NEEDS_SETUP if settings.MFA_REQUIRED else NOTHING


@receiver(user_logged_in, dispatch_uid="intake.two_factor.owed_at_sign_in")
def _owed_at_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[TWO_FACTOR_SESSION_KEY] = two_factor_owed(user)


def _is_open(request: HttpRequest) -> bool:
    match = request.resolver_match
    if match is None:
        return False
    return match.view_name in OPEN_VIEWS or OPEN_NAMESPACE in match.namespaces


class TwoFactorMiddleware:
    """Until a signed-in user has given a code (or set up a device when one is required),
    every page but the open ones redirects to the code page (or the set-up page), with
    ``next`` kept. Goes after ``OTPMiddleware`` and ``LoginRequiredMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or _is_open(request):
            return None
        owed = request.session.get(TWO_FACTOR_SESSION_KEY)
        if owed is None:  # a session from before two-factor sign-in existed
            owed = request.session[TWO_FACTOR_SESSION_KEY] = two_factor_owed(user)
        if owed == NEEDS_CODE and not user.is_verified():
            return redirect_to_login(request.get_full_path(), reverse("two_factor:verify"))
        if owed == NEEDS_SETUP:
            return redirect_to_login(request.get_full_path(), reverse("two_factor:setup"))
        return None
