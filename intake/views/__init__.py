"""Views: bind a form, call a service or selector, render or redirect."""

from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from intake.roles import AUDITOR, AUTHORIZATION, CRITERIA_ADMIN, FRONT_DESK, PHYSICIAN, roles_of


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness without login and without patient data: the database answers and, where
    static files are served from a collected manifest (production), they were collected —
    without them every page would fail while the server looked healthy."""
    checks = {"database": "ok", "static": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        checks["database"] = "unavailable"
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        try:
            collected = staticfiles_storage.read_manifest() is not None
        except Exception:
            collected = False
        if not collected:
            checks["static"] = "not collected (run manage.py collectstatic)"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


# Each role's starting page, in the order a user holding several roles is sent.
START_PAGES = (
    (FRONT_DESK, "intake:patient-list"),
    (PHYSICIAN, "review:queue"),
    (CRITERIA_ADMIN, "admin:index"),
    (AUDITOR, "admin:intake_auditevent_changelist"),
    # Until the packets have their own queue: the patients, whose intakes hold the documents.
    (AUTHORIZATION, "authorization:queue"),
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own starting page; a user without a role is told so."""
    roles = roles_of(request.user)
    for role, url_name in START_PAGES:
        if role in roles:
            try:
                return redirect(url_name)
            except NoReverseMatch:  # that part of the product is not installed
                continue
    return render(request, "intake/home.html")
