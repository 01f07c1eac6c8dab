"""The session's two endpoints for the time-out warning (static/js/session.js).

Both need a signed-in user (the login every page needs); the time limits themselves are
``intake.session_timeout``'s business.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from intake.session_timeout import session_clock, session_limits, session_passive


@never_cache
@require_POST
def session_keep_alive(request: HttpRequest) -> HttpResponse:
    """ "Stay signed in": a CSRF-protected POST that is activity (the middleware records it)."""
    return HttpResponse(status=204)


@session_passive
@never_cache
@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """The seconds left before the session ends, for the warning; asking is not activity."""
    clock = session_clock(request.session, now=timezone.now().timestamp(), limits=session_limits())
    return JsonResponse({"seconds_left": clock.seconds_left, "renewable": clock.renewable})
