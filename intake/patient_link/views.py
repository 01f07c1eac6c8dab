"""The patient's link: the front desk's two actions (make a link, revoke it) and the patient's
pages under ``/p/<token>/``.

The patient's pages are the only pages open without a staff login (``login_not_required``).
Nothing is shown before the date of birth matches; the session the patient then gets names one
link (``PATIENT_SESSION_KEY``) and carries no user, so every staff page still asks for a login.
Each page shows only the patient's own questions and their own answers: no outcome, no rule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from intake.models import AuditAction, AuditOutcome, Intake, IntakeStatus, PatientLink
from intake.patient_link import selectors, services
from intake.patient_link.forms import BirthDateForm, PatientStepForm
from intake.permissions import role_required
from intake.roles import FRONT_DESK
from intake.selectors.handouts import clinic_details
from intake.services import audit
from intake.services.intakes import IntakeRefused
from screener import adapters

PATIENT_SESSION_KEY = "patient_link"
LANGUAGE_SESSION_KEY = "patient_language"
LANGUAGES = ("en", "es")


def _username(link: PatientLink | None) -> str:
    return f"patient link {link.pk}" if link is not None else "patient link"


def _audit(
    request: HttpRequest,
    link: PatientLink | None,
    *,
    action: str,
    part: str,
    outcome: str = AuditOutcome.OK,
    changes: dict[str, Any] | None = None,
    detail: str = "",
) -> None:
    audit.audit_record(
        action=action,
        request=request,
        user=None,
        username=_username(link),
        patient=link.intake.patient_id if link is not None else None,
        object_type=selectors.LINK_OBJECT_TYPE,
        object_id=str(link.pk) if link is not None else "",
        part=part,
        outcome=outcome,
        changes=changes,
        detail=detail,
    )


def _language(request: HttpRequest) -> str:
    chosen = request.session.get(LANGUAGE_SESSION_KEY, "")
    if chosen in LANGUAGES:
        return chosen
    from_browser = translation.get_language_from_request(request)
    return "es" if from_browser.startswith("es") else "en"


def patient_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A patient page: open without a login, never cached, in the patient's language."""

    @login_not_required
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and request.session.get(PATIENT_SESSION_KEY):
            # A staff sign-in on the same browser ends the patient's session (and the other
            # way round, below): the two never share one.
            request.session.pop(PATIENT_SESSION_KEY, None)
        with translation.override(_language(request)):
            response = view(request, *args, **kwargs)
            response.headers.setdefault("Content-Language", translation.get_language())
            if hasattr(response, "render"):
                response.render()
            return response

    return wrapped


def _emergency_message(intake: Intake) -> selectors.EmergencyWording:
    """The set's own red-flag title and wording in the page's language (built-in ones for a
    set without them), then the clinic's on-call number (a setting of the clinic, not
    criteria)."""
    phone = settings.ONCALL_PHONE
    wording = selectors.emergency_wording(
        criteria_set=intake.criteria_set, language=translation.get_language()
    ) or selectors.EmergencyWording(
        title=_("Get help now"),
        text=_(
            "Your answers show you may need care right now. Call 911 or go to the nearest "
            "emergency room now. Do not wait for the clinic to call you."
        ),
    )
    if not phone:
        return wording
    oncall = _("You can also call the clinic's on-call doctor at %(phone)s.") % {"phone": phone}
    return selectors.EmergencyWording(title=wording.title, text=f"{wording.text} {oncall}")


def _context(request: HttpRequest, link: PatientLink | None, **extra: Any) -> dict[str, Any]:
    intake = link.intake if link is not None else None
    red_flag = bool(intake is not None and intake.emergency)
    return {
        "clinic": clinic_details(),
        "language": translation.get_language(),
        "token_path": request.path,
        "red_flag": red_flag,
        "emergency": _emergency_message(intake) if intake is not None and red_flag else None,
        **extra,
    }


def _closed(request: HttpRequest, link: PatientLink | None, reason: str) -> HttpResponse:
    status = 404 if reason == "unknown" else 410
    return render(
        request,
        "patient/closed.html",
        _context(request, link, reason=reason, token=""),
        status=status,
    )


def _rate_limited(request: HttpRequest) -> HttpResponse | None:
    if selectors.rate_limited(address=audit.source_address(request), now=timezone.now()):
        return render(
            request, "patient/closed.html", _context(request, None, reason="busy"), status=429
        )
    return None


def _resume_step(link: PatientLink) -> int:
    """The first step with a question not answered yet, else the last step."""
    steps = selectors.patient_steps(criteria_set=link.intake.criteria_set)
    for step in steps:
        if any(q.code not in link.intake.answers for q in step.questions):
            return step.number
    return steps[-1].number if steps else 1


def _open_link(request: HttpRequest, token: str) -> tuple[PatientLink | None, HttpResponse | None]:
    """The link of the token, usable and bound to this session; else the response to send."""
    link = selectors.link_for_token(token)
    if link is None:
        return None, _closed(request, None, "unknown")
    reason = services.link_closed_reason(link, now=timezone.now())
    if reason is not None:
        return None, _closed(request, link, reason)
    if request.session.get(PATIENT_SESSION_KEY) != link.pk:
        return None, redirect("patient:start", token=token)
    return link, None


@patient_page
@require_http_methods(["GET", "POST"])
def patient_start(request: HttpRequest, token: str) -> HttpResponse:
    """The link's first page: the date of birth, before anything else."""
    limited = _rate_limited(request)
    if limited is not None:
        return limited
    link = selectors.link_for_token(token)
    if link is None:
        _audit(
            request,
            None,
            action=AuditAction.LOGIN_FAILED,
            part="unknown link",
            outcome=AuditOutcome.REFUSED,
        )
        return _closed(request, None, "unknown")
    reason = services.link_closed_reason(link, now=timezone.now())
    if reason is not None:
        _audit(
            request,
            link,
            action=AuditAction.LOGIN_FAILED,
            part=f"link {reason}",
            outcome=AuditOutcome.REFUSED,
        )
        return _closed(request, link, reason)
    if request.method == "GET" and request.session.get(PATIENT_SESSION_KEY) == link.pk:
        return redirect("patient:step", token=token, number=_resume_step(link))
    form = BirthDateForm(request.POST if request.method == "POST" else None)
    if request.method == "GET" or not form.is_valid():
        status = 400 if form.is_bound else 200
        return render(
            request,
            "patient/start.html",
            _context(request, None, form=form, token=token),
            status=status,
        )
    try:
        check = services.patient_link_check_birth_date(
            link_id=link.pk, date_of_birth=form.cleaned_data["date_of_birth"]
        )
    except services.LinkClosed as exc:
        return _closed(request, link, exc.reason)
    if not check.passed:
        _audit(
            request,
            link,
            action=AuditAction.LOGIN_FAILED,
            part="date of birth",
            outcome=AuditOutcome.REFUSED,
            detail=f"{check.tries_left} tries left",
        )
        if check.locked:
            _audit(
                request,
                link,
                action=AuditAction.LOCKOUT,
                part="patient link locked",
                outcome=AuditOutcome.REFUSED,
            )
            return _closed(request, link, services.LOCKED)
        form.add_error(
            "date_of_birth",
            _("That date does not match our records. Tries left: %(count)s.")
            % {"count": check.tries_left},
        )
        return render(
            request,
            "patient/start.html",
            _context(request, None, form=form, token=token),
            status=400,
        )
    language = request.session.get(LANGUAGE_SESSION_KEY)
    if request.user.is_authenticated:
        logout(request)  # a staff session on this browser ends: one kind of session at a time
    request.session.cycle_key()
    request.session[PATIENT_SESSION_KEY] = link.pk
    if language:
        request.session[LANGUAGE_SESSION_KEY] = language
    request.session.set_expiry(settings.PATIENT_SESSION_SECONDS)
    _audit(request, link, action=AuditAction.LOGIN, part="patient link opened")
    return redirect("patient:step", token=token, number=_resume_step(link))


@patient_page
@require_POST
def patient_language(request: HttpRequest, token: str) -> HttpResponse:
    """The language switch on every patient page (English, Spanish)."""
    language = request.POST.get("language", "")
    if language in LANGUAGES:
        request.session[LANGUAGE_SESSION_KEY] = language
    back = request.POST.get("next", "")
    prefix = reverse("patient:start", kwargs={"token": token})
    return redirect(back if back.startswith(prefix) else prefix)


@patient_page
@require_http_methods(["GET", "POST"])
def patient_step(request: HttpRequest, token: str, number: int) -> HttpResponse:
    """One section of the patient's questions; each POST saves what it holds."""
    link, refused = _open_link(request, token)
    if refused is not None:
        return refused
    assert link is not None
    steps = selectors.patient_steps(criteria_set=link.intake.criteria_set)
    if not 1 <= number <= len(steps):
        raise Http404("No such step.")
    step = steps[number - 1]
    as_of = timezone.localdate()
    spec = adapters.compiled_criteria(link.intake.criteria_set).spec
    language = translation.get_language()
    own = _own_answers(link.intake)
    form = PatientStepForm(
        request.POST if request.method == "POST" else None,
        questions=step.questions,
        spec=spec,
        answers=own,
        language=language,
        as_of=as_of,
    )
    if request.method == "POST":
        form.is_valid()
        try:
            saved = services.patient_answers_save(
                link_id=link.pk, changes=form.answer_changes(), as_of=as_of
            )
        except services.LinkClosed as exc:
            return _closed(request, link, exc.reason)
        except ValidationError as exc:
            form.add_error(None, exc)
            saved = None
        if saved is not None and saved.changed:
            _audit(
                request,
                link,
                action=AuditAction.CHANGE,
                part=f"answers, step {number}",
                changes={code: list(pair) for code, pair in saved.changed.items()},
            )
        if saved is not None and saved.red_flag_raised:
            _audit(
                request,
                link,
                action=AuditAction.CHANGE,
                part="red flag",
                detail="patient reported a red flag",
            )
        if saved is not None:
            link.intake = saved.intake
        if not form.errors:
            if request.POST.get("go") == "back" and number > 1:
                return redirect("patient:step", token=token, number=number - 1)
            if number < len(steps):
                return redirect("patient:step", token=token, number=number + 1)
            return redirect("patient:done", token=token)
    else:
        _audit(request, link, action=AuditAction.VIEW, part=f"patient link step {number}")
    return render(
        request,
        "patient/step.html",
        _context(
            request,
            link,
            form=form,
            step=step,
            total=len(steps),
            token=token,
            previous=number - 1 if number > 1 else None,
        ),
        status=400 if form.errors else 200,
    )


def _own_answers(intake: Intake) -> dict[str, Any]:
    """The answers the patient gave themself (what the clinic entered is not shown back)."""
    from intake.selectors.provenance import current_answer_entries

    return {
        code: entry.value
        for code, entry in current_answer_entries(intake_id=intake.pk).items()
        if entry.source == "patient"
    }


@patient_page
def patient_done(request: HttpRequest, token: str) -> HttpResponse:
    link, refused = _open_link(request, token)
    if refused is not None:
        return refused
    assert link is not None
    steps = selectors.patient_steps(criteria_set=link.intake.criteria_set)
    return render(
        request,
        "patient/done.html",
        _context(request, link, token=token, last_step=len(steps)),
    )


# --------------------------------------------------------------------------------------------
# The front desk's side


def _link_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("patient:start", kwargs={"token": token}))


@never_cache
@require_POST
@role_required(FRONT_DESK)
def patient_link_create(request: HttpRequest, intake_id: int) -> HttpResponse:
    """Make a new link for a draft intake (revoking the one before) and show it once: to copy,
    as a QR code on a printable slip, and e-mailed when an address is given and e-mail is set up."""
    try:
        link, token = services.patient_link_create(intake_id=intake_id, user=request.user)
    except Intake.DoesNotExist:
        raise Http404("No such intake.") from None
    except IntakeRefused as exc:
        messages.error(request, exc.message)
        return redirect("intake:intake-detail", intake_id=intake_id)
    audit.audit_record(
        action=AuditAction.CREATE,
        request=request,
        patient=link.intake.patient_id,
        obj=link,
        part="patient link",
        detail=f"expires {link.expires_at:%Y-%m-%d}",
    )
    url = _link_url(request, token)
    email = (request.POST.get("email") or "").strip()
    emailed = False
    if email and settings.PASSWORD_RESET_BY_EMAIL:
        clinic = clinic_details()
        # No patient data in the message: the link, what it needs, and until when.
        send_mail(
            subject=f"{clinic.name or 'Your spine clinic'}: questions before your visit",
            message=(
                "Your spine clinic asks you to answer a few questions before your visit.\n\n"
                f"Open this link: {url}\n\n"
                "You will need your date of birth. "
                f"The link works until {timezone.localtime(link.expires_at):%d %B %Y}.\n"
                + (f"Questions? Call {clinic.phone}.\n" if clinic.phone else "")
            ),
            from_email=None,
            recipient_list=[email],
        )
        emailed = True
        audit.audit_record(
            action=AuditAction.EXPORT,
            request=request,
            patient=link.intake.patient_id,
            obj=link,
            part="patient link e-mailed",
        )
    qr = segno.make(url, error="m").svg_inline(
        scale=5, omitsize=True, title="QR code of the patient's link"
    )
    return render(
        request,
        "patient/link_slip.html",
        {
            "intake": link.intake,
            "link": link,
            "url": url,
            "qr_svg": mark_safe(qr),  # made here by segno from our own URL, no outside text
            "emailed": emailed,
            "clinic": clinic_details(),
        },
    )


@require_POST
@role_required(FRONT_DESK)
def patient_link_revoke(request: HttpRequest, intake_id: int) -> HttpResponse:
    link = (
        PatientLink.objects.filter(
            intake_id=intake_id, revoked_at__isnull=True, locked_at__isnull=True
        )
        .select_related("intake")
        .first()
    )
    if link is None:
        messages.info(request, "There is no working patient link to revoke.")
        return redirect("intake:intake-detail", intake_id=intake_id)
    services.patient_link_revoke(link_id=link.pk, user=request.user)
    audit.audit_record(
        action=AuditAction.CHANGE,
        request=request,
        patient=link.intake.patient_id,
        obj=link,
        part="patient link revoked",
    )
    messages.success(request, "The patient's link is revoked: it no longer opens.")
    return redirect("intake:intake-detail", intake_id=intake_id)


def link_status(*, intake: Intake) -> dict[str, Any]:
    """What the intake form says of the patient's link (for ``_link_box.html``)."""
    if intake.status != IntakeStatus.DRAFT:
        return {}
    latest = PatientLink.objects.filter(intake=intake).first()
    now = timezone.now()
    return {
        "latest": latest,
        "active": latest is not None and latest.usable(now=now),
        "locked": latest is not None and latest.locked_at is not None,
        "expired": latest is not None and latest.expires_at <= now,
        "email_configured": settings.PASSWORD_RESET_BY_EMAIL,
    }
