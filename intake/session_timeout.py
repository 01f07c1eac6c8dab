"""Sessions end after a spell without activity and a fixed time after signing in.

Two limits, from the settings (seconds): ``SESSION_IDLE_TIMEOUT`` (15 minutes) without
activity, and ``SESSION_ABSOLUTE_TIMEOUT`` (12 hours) after signing in, however active. When a
signed-in request arrives past either limit, ``SessionTimeoutMiddleware`` signs the user out,
records it in the audit log (``logout``, detail ``idle time-out`` or ``session limit``), and
sends a page request to the login page with the reason and ``next`` set to the path of the page
(never its query string); a script's request (``X-Requested-With``) gets 401 with the login
URL instead of a login page it could not show.

What counts as activity: every request of a signed-in user to a page or an action of the site,
GET or POST, including the intake form's live-panel posts while typing and "Stay signed in"
(the keep-alive endpoint). What does not: the page script's own questions about the time left
(views marked ``@session_passive``), a request that says ``X-Session-Activity: none`` (the
draft saved automatically when the time runs out), ``/healthz`` (it neither ends nor extends
a session) and static files (served before the session middleware).

The last-activity time is rewritten only when it is older than ``activity_resolution`` (a
thirtieth of the idle limit, at most a minute), so a burst of requests writes the session
once; the error is always towards signing out early, never late.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

# Session keys: seconds since the epoch.
SIGNED_IN_AT = "session_timeout.signed_in_at"
LAST_ACTIVITY_AT = "session_timeout.last_activity_at"

# Never end or extend a session (by URL name): a load balancer polls them.
EXEMPT_URL_NAMES = frozenset({"healthz"})

IDLE = "idle time-out"
LIMIT = "session limit"


@dataclass(frozen=True)
class SessionLimits:
    idle_seconds: int
    absolute_seconds: int
    warning_seconds: int

    @property
    def activity_resolution(self) -> int:
        return min(60, max(1, self.idle_seconds // 30))


@dataclass(frozen=True)
class SessionClock:
    """How long the signed-in session has left; ``renewable`` when activity can extend it
    (the idle limit comes first), not when the absolute limit does."""

    idle_seconds_left: float
    absolute_seconds_left: float
    warning_seconds: int

    @property
    def seconds_left(self) -> int:
        return max(0, int(min(self.idle_seconds_left, self.absolute_seconds_left)))

    @property
    def renewable(self) -> bool:
        return self.idle_seconds_left < self.absolute_seconds_left

    @property
    def expired_by(self) -> str | None:
        """Which limit has passed: ``IDLE``, ``LIMIT`` or None."""
        if self.absolute_seconds_left <= 0:
            return LIMIT
        if self.idle_seconds_left <= 0:
            return IDLE
        return None


def session_limits() -> SessionLimits:
    """The limits as configured now (read per request, so tests can override them)."""
    limits = SessionLimits(
        idle_seconds=settings.SESSION_IDLE_TIMEOUT,
        absolute_seconds=settings.SESSION_ABSOLUTE_TIMEOUT,
        warning_seconds=settings.SESSION_WARNING_SECONDS,
    )
    if not 0 < limits.warning_seconds < limits.idle_seconds <= limits.absolute_seconds:
        raise ImproperlyConfigured(
            "Need 0 < SESSION_WARNING_SECONDS < SESSION_IDLE_TIMEOUT <= SESSION_ABSOLUTE_TIMEOUT "
            f"(got {limits.warning_seconds}, {limits.idle_seconds}, {limits.absolute_seconds})."
        )
    return limits


def _now() -> float:
    return timezone.now().timestamp()


def session_clock(session: Any, *, now: float, limits: SessionLimits) -> SessionClock:
    """The time left. A time stamped in the future (the clock was set back) counts as now:
    the session is neither ended nor extended by it."""
    signed_in_at = min(session.get(SIGNED_IN_AT, now), now)
    last_activity_at = min(session.get(LAST_ACTIVITY_AT, signed_in_at), now)
    return SessionClock(
        idle_seconds_left=last_activity_at + limits.idle_seconds - now,
        absolute_seconds_left=signed_in_at + limits.absolute_seconds - now,
        warning_seconds=limits.warning_seconds,
    )


def session_start(*, session: Any, now: float | None = None) -> None:
    """Start both clocks: called on every sign-in (``user_logged_in``)."""
    at = int(_now() if now is None else now)
    session[SIGNED_IN_AT] = at
    session[LAST_ACTIVITY_AT] = at


@receiver(user_logged_in, dispatch_uid="intake.session_timeout.signed_in")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_start(session=request.session)


def session_passive(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view whose requests are not the user's activity (they never extend the session)."""
    view.session_activity = False  # type: ignore[attr-defined]
    return view


def _duration(seconds: int) -> str:
    """In the largest whole unit: 900 is "15 minutes", 43200 "12 hours", 8 "8 seconds"."""
    size, unit = next(
        (size, unit)
        for size, unit in ((3600, "hour"), (60, "minute"), (1, "second"))
        if seconds % size == 0
    )
    count = seconds // size
    return f"{count} {unit}{'' if count == 1 else 's'}"


def signed_out_message(reason: str, limits: SessionLimits) -> str:
    if reason == LIMIT:
        return (
            f"You were signed out {_duration(limits.absolute_seconds)} after signing in, the "
            "longest a session lasts. What you saved is kept."
        )
    return (
        f"You were signed out after {_duration(limits.idle_seconds)} without activity. "
        "What you saved is kept."
    )


def _next_path(request: HttpRequest) -> str | None:
    """The page to come back to, as a bare path: the one asked for (GET), or the page a form
    was posted from (its Referer on this site). Query strings are never carried."""
    if request.method in ("GET", "HEAD"):
        path = request.path
    else:
        referer = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return None
        path = urlsplit(referer).path
    if not path.startswith("/"):
        return None
    if path == resolve_url(settings.LOGIN_URL):
        return None
    return path


def _is_activity(request: HttpRequest, view_func: Callable[..., HttpResponse]) -> bool:
    return (
        getattr(view_func, "session_activity", True)
        and request.headers.get("X-Session-Activity", "").lower() != "none"
    )


class SessionTimeoutMiddleware:
    """Signs out a session past its idle or absolute limit and records each request that is
    activity. Placed after ``AuthenticationMiddleware``; works in ``process_view`` so the
    message middleware and the URL's view are known."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        session_limits()  # refuse to start with limits that contradict each other

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is not None and match.url_name in EXEMPT_URL_NAMES:
            return None
        if not request.user.is_authenticated:
            return None
        limits = session_limits()
        now = _now()
        clock = session_clock(request.session, now=now, limits=limits)
        if clock.expired_by is not None:
            return self._sign_out(request, clock.expired_by, limits)
        if SIGNED_IN_AT not in request.session:  # signed in before these limits existed
            session_start(session=request.session, now=now)
        elif _is_activity(request, view_func) and (
            now - request.session.get(LAST_ACTIVITY_AT, 0) >= limits.activity_resolution
        ):
            request.session[LAST_ACTIVITY_AT] = int(now)
        clock = session_clock(request.session, now=now, limits=limits)
        request.session_clock = clock  # type: ignore[attr-defined]  (base.html's warning)
        return None

    def _sign_out(self, request: HttpRequest, reason: str, limits: SessionLimits) -> HttpResponse:
        next_path = _next_path(request)
        # The sign-out is audited once, by the user_logged_out receiver, with this reason.
        request.signed_out_by = reason  # type: ignore[attr-defined]
        logout(request)
        messages.info(request, signed_out_message(reason, limits))
        login_url = resolve_url(settings.LOGIN_URL)
        location = redirect_to_login(next_path, login_url)["Location"] if next_path else login_url
        if request.headers.get("X-Requested-With"):
            return JsonResponse({"signed_out": reason, "login_url": location}, status=401)
        return HttpResponseRedirect(location)
