"""Two-factor pages: the code after the password, and setting up an authenticator app."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from intake.forms.two_factor import TwoFactorCodeForm
from intake.services.two_factor import (
    totp_device_confirm,
    totp_device_start,
    totp_secret_text,
    two_factor_recheck,
    two_factor_verify,
)
from intake.two_factor import NEEDS_CODE, TWO_FACTOR_SESSION_KEY, two_factor_offered

NOT_CHECKED = "Not checked: after a wrong code, codes wait a moment. Enter the code shown then."


def _next_url(request: HttpRequest) -> str:
    """Where to go afterwards: ``next`` when it is a path on this site, else the start page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _code_owed(request: HttpRequest) -> bool:
    return (
        request.session.get(TWO_FACTOR_SESSION_KEY) == NEEDS_CODE and not request.user.is_verified()
    )


@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of sign-in: a code from the user's authenticator app."""
    if not _code_owed(request):
        return redirect(_next_url(request))
    if not user_has_device(request.user, confirmed=True):  # removed since sign-in
        two_factor_recheck(request=request)
        return redirect(_next_url(request))
    form = TwoFactorCodeForm(request.POST or None)
    retry_after = None
    if request.method == "POST" and form.is_valid():
        check = two_factor_verify(request=request, code=form.cleaned_data["code"])
        if check.accepted:
            return redirect(_next_url(request))
        retry_after = check.retry_after
        form.add_error(
            "code",
            NOT_CHECKED
            if retry_after
            else "That code is not right, or was already used. Try the next one.",
        )
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _next_url(request), "retry_after": retry_after},
    )


@never_cache
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the secret), give one code."""
    if not two_factor_offered(request.user):
        raise PermissionDenied
    if _code_owed(request):  # a device exists: the password alone may not replace it
        return redirect_to_login(_next_url(request), resolve_url("two_factor:verify"))
    if user_has_device(request.user, confirmed=True):
        return render(request, "registration/two_factor_done.html", {"next": _next_url(request)})
    device = totp_device_start(user=request.user)
    form = TwoFactorCodeForm(request.POST or None)
    retry_after = None
    if request.method == "POST" and form.is_valid():
        check = totp_device_confirm(request=request, device=device, code=form.cleaned_data["code"])
        if check.accepted:
            messages.success(request, "Two-factor sign-in is on: each sign-in now asks for a code.")
            return redirect(_next_url(request))
        retry_after = check.retry_after
        form.add_error(
            "code",
            NOT_CHECKED
            if retry_after
            else "That code is not right. Check the app and try the next one.",
        )
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "next": _next_url(request),
            "secret": totp_secret_text(device),
            "retry_after": retry_after,
            "required": settings.MFA_REQUIRED,
        },
    )


@never_cache
@require_GET
def setup_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the device being set up, as an SVG image (an <img>, so the page needs no
    inline style or script). Never cached: it holds the secret."""
    if not two_factor_offered(request.user) or _code_owed(request):
        raise PermissionDenied
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("id").first()
    if device is None:
        raise Http404("No authenticator app is being set up.")
    svg = io.BytesIO()
    # A viewBox and no size: the page's <img> sets the size.
    segno.make(device.config_url, error="m").save(svg, kind="svg", border=4, omitsize=True)
    return HttpResponse(svg.getvalue(), content_type="image/svg+xml")
