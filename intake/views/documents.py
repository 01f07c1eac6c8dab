"""Documents of an intake: attach one, download it, withdraw one attached by mistake.

Every URL names the intake and the document (``/intakes/<id>/documents/<doc id>/``): a
document of another intake is a 404, as one that does not exist. Front desk, physicians and
authorization coordinators use them; auditors and criteria admins get no document. Every read
and change is in the audit log; a download is never cached and is sent as the type its bytes
showed, with ``nosniff``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from intake.forms.documents import BACK_TO_CASE, DocumentAttachForm, DocumentWithdrawForm
from intake.models import AuditAction, AuditOutcome, Intake, IntakeDocument
from intake.permissions import role_required
from intake.roles import AUTHORIZATION, FRONT_DESK, PHYSICIAN, has_role
from intake.selectors import documents as selectors
from intake.selectors import intakes as intake_selectors
from intake.services import audit
from intake.services import documents as services

DOCUMENT_ROLES = (FRONT_DESK, PHYSICIAN, AUTHORIZATION)

logger = logging.getLogger(__name__)


def _intake_or_404(intake_id: int) -> Intake:
    intake = intake_selectors.intake_get(intake_id=intake_id)
    if intake is None:
        raise Http404("No such intake.")
    return intake


def _document_or_404(intake_id: int, document_id: int) -> IntakeDocument:
    document = selectors.intake_document_get(intake_id=intake_id, document_id=document_id)
    if document is None:
        raise Http404("No such document on this intake.")
    return document


def _back_url(request: HttpRequest, intake_id: int, back: str) -> str:
    """The page the user came from: the case view (physicians), else the intake's page."""
    if back == BACK_TO_CASE and has_role(request.user, PHYSICIAN):
        return reverse("review:case", args=[intake_id]) + "#documents"
    return reverse("intake:intake-detail", args=[intake_id]) + "#documents"


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(*DOCUMENT_ROLES)
def document_attach(request: HttpRequest, intake_id: int) -> HttpResponse:
    intake = _intake_or_404(intake_id)
    form = DocumentAttachForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"back": request.GET.get("from", "")},
        answer_choices=selectors.answer_choices(criteria_set=intake.criteria_set),
        max_bytes=settings.DOCUMENT_MAX_BYTES,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = services.intake_document_attach(
                intake_id=intake.pk,
                file=data["file"],
                kind=data["kind"],
                document_date=data["document_date"],
                title=data["title"],
                answers_from=data["answers_from"],
                user=request.user,
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            audit.audit_record(
                action=AuditAction.CREATE,
                request=request,
                patient=intake.patient_id,
                obj=document,
                part="document",
                detail=f"{document.get_kind_display()}, {document.content_type}, {document.size} bytes",
            )
            messages.success(
                request,
                f"{document.get_kind_display()} of {document.document_date:%Y-%m-%d} attached.",
            )
            return redirect(_back_url(request, intake.pk, data["back"]))
    status = 400 if request.method == "POST" else 200
    form.mark_invalid()
    response = render(
        request,
        "intake/document_form.html",
        {
            "intake": intake,
            "patient": intake.patient,
            "form": form,
            "back_url": _back_url(request, intake.pk, form["back"].value() or ""),
        },
        status=status,
    )
    audit.audit_record(
        action=AuditAction.VIEW if request.method == "GET" else AuditAction.CREATE,
        request=request,
        patient=intake.patient_id,
        obj=intake,
        part="attach a document",
        outcome=AuditOutcome.OK if status == 200 else AuditOutcome.FAILED,
        detail="" if status == 200 else "refused: " + ", ".join(sorted(form.errors)),
    )
    return response


@never_cache
@require_GET
@role_required(*DOCUMENT_ROLES)
def document_download(request: HttpRequest, intake_id: int, document_id: int) -> HttpResponse:
    document = _document_or_404(intake_id, document_id)
    try:
        stored = document.file.storage.open(document.file.name, "rb")
    except OSError:
        # The row says there is a file and the storage has none: the storage's business, not
        # the user's. The log names the document, never the patient.
        logger.error("Document %s: its file is missing from the documents storage.", document.pk)
        audit.audit_record(
            action=AuditAction.VIEW,
            request=request,
            patient=document.intake.patient_id,
            obj=document,
            part="document",
            outcome=AuditOutcome.FAILED,
            detail="file missing from storage",
        )
        raise Http404("The file of this document is missing.") from None
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=selectors.download_name(document),
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    audit.audit_record(
        action=AuditAction.VIEW,
        request=request,
        patient=document.intake.patient_id,
        obj=document,
        part="document",
        detail=document.get_kind_display() + (" (withdrawn)" if document.withdrawn else ""),
    )
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(*DOCUMENT_ROLES)
def document_withdraw(request: HttpRequest, intake_id: int, document_id: int) -> HttpResponse:
    document = _document_or_404(intake_id, document_id)
    intake = document.intake
    form = DocumentWithdrawForm(request.POST if request.method == "POST" else None)
    back = request.POST.get("back", "") if request.method == "POST" else request.GET.get("from", "")
    if request.method == "POST" and form.is_valid():
        was_withdrawn = document.withdrawn
        try:
            document = services.intake_document_withdraw(
                intake_id=intake.pk,
                document_id=document.pk,
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            if not was_withdrawn:
                audit.audit_record(
                    action=AuditAction.CHANGE,
                    request=request,
                    patient=intake.patient_id,
                    obj=document,
                    part="document",
                    changes={"withdrawn_reason": ["", document.withdrawn_reason]},
                    detail=f"{document.get_kind_display()} withdrawn",
                )
            messages.success(
                request,
                f"{document.get_kind_display()} of {document.document_date:%Y-%m-%d} withdrawn: "
                "it stays on record, struck through, and is left out of the packet.",
            )
            return redirect(_back_url(request, intake.pk, back))
    status = 400 if request.method == "POST" else 200
    response = render(
        request,
        "intake/document_withdraw.html",
        {
            "intake": intake,
            "patient": intake.patient,
            "document": document,
            "form": form,
            "back": back,
            "back_url": _back_url(request, intake.pk, back),
        },
        status=status,
    )
    audit.audit_record(
        action=AuditAction.VIEW if request.method == "GET" else AuditAction.CHANGE,
        request=request,
        patient=intake.patient_id,
        obj=document,
        part="withdraw a document",
        outcome=AuditOutcome.OK if status == 200 else AuditOutcome.FAILED,
    )
    return response
