"""Recording the action taken on an emergency red flag, from the result page or the case view."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from intake.forms.emergencies import EmergencyActionForm
from intake.models import AuditAction, EmergencyAction
from intake.permissions import role_required
from intake.roles import FRONT_DESK, PHYSICIAN, has_role
from intake.selectors import intakes as intake_selectors
from intake.services import audit
from intake.services import emergencies as services
from intake.views.intakes import render_result
from intake.views.review import render_case

CASE_VIEW = "case"


def _page_url(request: HttpRequest, intake_id: int, page: str) -> str:
    if page == CASE_VIEW and has_role(request.user, PHYSICIAN):
        return reverse("review:case", args=[intake_id]) + "#emergency"
    return reverse("intake:intake-detail", args=[intake_id]) + "#emergency"


def _render_page(request: HttpRequest, intake_id: int, page: str, form: EmergencyActionForm):
    """The page the form was sent from, again, with the form's errors and what was typed."""
    if page == CASE_VIEW and has_role(request.user, PHYSICIAN):
        return render_case(request, intake_id, status=400, emergency_form=form)
    intake = intake_selectors.intake_get(intake_id=intake_id)
    if intake is None or intake.latest_screening is None:
        raise Http404("No such intake.")
    return render_result(request, intake, emergency_form=form, status=400)


@require_POST
@role_required(FRONT_DESK, PHYSICIAN)
def emergency_action(request: HttpRequest, intake_id: int) -> HttpResponse:
    intake = intake_selectors.intake_get(intake_id=intake_id)
    if intake is None:
        raise Http404("No such intake.")
    form = EmergencyActionForm(request.POST)
    page = request.POST.get("emergency-next", "")
    if not form.is_valid():
        return _render_page(request, intake_id, page, form)
    data = form.cleaned_data
    corrects = None
    if data["corrects"]:
        corrects = EmergencyAction.objects.filter(pk=data["corrects"], intake=intake).first()
        if corrects is None:
            raise Http404("No such entry on this intake.")
    try:
        action = services.emergency_action_record(
            intake_id=intake.pk,
            contacted=data["contacted"],
            contact_name=data["contact_name"],
            contacted_at=data["contacted_at"],
            note=data["note"],
            user=request.user,
            corrects=corrects,
        )
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return _render_page(request, intake_id, page, form)
    except services.NoEmergency as exc:
        messages.error(request, exc.message)
        return redirect(_page_url(request, intake_id, page))
    audit.audit_record(
        action=AuditAction.CHANGE,
        request=request,
        patient=intake.patient_id,
        obj=action,
        part="emergency action",
        changes={"contacted": [None, action.contacted]},
        detail=f"corrects entry {corrects.pk}" if corrects else "",
    )
    when = timezone.localtime(action.contacted_at)
    messages.success(
        request,
        f"Emergency action recorded: {action.get_contacted_display().lower()} at "
        f"{when:%H:%M on %d %b %Y}."
        + (" It corrects the earlier entry, which stays on record." if corrects else ""),
    )
    return redirect(_page_url(request, intake_id, page))
