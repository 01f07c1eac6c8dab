"""Refused and failed requests on a patient's record, in the audit log.

Views record what they did (``audit_record`` after the work). A request on one patient or one
intake (a URL with ``patient_id`` or ``intake_id``) that ends in a 4xx response without having
recorded anything — a role refused (403), an id that is not there or not in review (404), a
form sent back (400) or a conflict (409) — is recorded here, once, as "refused" (403, 404) or
"failed" (other 4xx), naming the object asked for and its patient when it exists.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from intake.models import AuditAction, AuditOutcome, Intake, Patient
from intake.services.audit import audit_record

REFUSED_STATUSES = frozenset({403, 404})

# The action a refused request would have been; anything else: GET views, POST changes.
ACTIONS_BY_URL_NAME = {
    "decide": AuditAction.DECIDE,
    "amend": AuditAction.DECIDE,
    "intake-handout": AuditAction.PRINT,
    "intake-printed": AuditAction.PRINT,
}


class AuditRefusalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if 400 <= response.status_code < 500 and not getattr(request, "audit_recorded", False):
            self._record(request, response.status_code)
        return response

    def _record(self, request: HttpRequest, status: int) -> None:
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        if match is None or user is None or not user.is_authenticated:
            return
        if "intake_id" in match.kwargs:
            model, object_id = Intake, match.kwargs["intake_id"]
            patient_id = (
                Intake.objects.filter(pk=object_id).values_list("patient_id", flat=True).first()
            )
        elif "patient_id" in match.kwargs:
            model, object_id = Patient, match.kwargs["patient_id"]
            patient_id = Patient.objects.filter(pk=object_id).values_list("pk", flat=True).first()
        else:
            return
        default = AuditAction.VIEW if request.method in ("GET", "HEAD") else AuditAction.CHANGE
        audit_record(
            action=ACTIONS_BY_URL_NAME.get(match.url_name or "", default),
            request=request,
            patient=patient_id,
            object_type=model._meta.label_lower,
            object_id=str(object_id),
            part=match.url_name or "",
            outcome=AuditOutcome.REFUSED if status in REFUSED_STATUSES else AuditOutcome.FAILED,
            detail=f"HTTP {status}",
        )
