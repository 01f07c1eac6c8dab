"""Prior-authorization pages: the coordinator's queue (and its CSV), opening a packet, the
packet page with its attestation and tracking, and the packet as a PDF and a FHIR bundle.

Thin: bind a form, call a service or a selector, render or redirect. Coordinators (group
Authorization) open, edit and track packets; physicians read and attest them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from authorization import selectors, services
from authorization.content import PacketContent
from authorization.forms import (
    MOVE_FORMS,
    AttestForm,
    PacketFieldsForm,
    QueueFilterForm,
    ReviseForm,
)
from authorization.models import AuthorizationPacket, PacketStatus
from intake.models import AuditAction, Intake
from intake.permissions import role_required
from intake.roles import AUTHORIZATION, PHYSICIAN, has_role
from intake.services.audit import audit_record

PAGE_SIZE = 25


def _form_errors(form: Any, error: ValidationError) -> None:
    """A service's refusal shown on the form: on its field when it names one."""
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


# --------------------------------------------------------------------------------------------
# The coordinator's queue


@role_required(AUTHORIZATION)
@never_cache
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = QueueFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    packets = selectors.coordinator_queue(status=status)
    if request.GET.get("format") == "csv":
        return _queue_csv(request, packets)
    page = Paginator(packets, PAGE_SIZE).get_page(request.GET.get("page"))
    awaiting = list(selectors.awaiting_packet()[:PAGE_SIZE])
    unapproved = list(selectors.unapproved_planned(today=today)[:PAGE_SIZE])
    standings = {
        packet.pk: selectors.authorization_standing(packet.intake, today=today) for packet in page
    }
    response = render(
        request,
        "authorization/queue.html",
        {
            "filter_form": form,
            "status": status,
            "page_obj": page,
            "rows": [(packet, standings[packet.pk]) for packet in page],
            "awaiting": awaiting,
            "unapproved": unapproved,
            "today": today,
        },
    )
    shown = {packet.intake.patient_id for packet in page}
    shown |= {intake.patient_id for intake in awaiting + unapproved}
    audit_record(
        action=AuditAction.LIST,
        request=request,
        part="authorization queue",
        patients_shown=shown,
        detail=f"page {page.number}" + (f", {status}" if status else ""),
    )
    return response


CSV_COLUMNS = (
    "packet",
    "revision",
    "status",
    "since",
    "patient",
    "mrn",
    "payer",
    "member id",
    "planned date",
    "payer reference",
    "authorization number",
    "valid to",
    "due",
)


def _queue_csv(request: HttpRequest, packets: Any) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="authorization-packets.csv"'
    response["Cache-Control"] = "no-store"
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    shown = set()
    for packet in packets:
        patient = packet.intake.patient
        shown.add(patient.pk)
        writer.writerow(
            [
                packet.pk,
                packet.revision,
                packet.get_status_display(),
                packet.status_changed_at.date().isoformat(),
                # A cell starting with = + - @ would be a formula in a spreadsheet.
                *(_cell(v) for v in (patient.full_name, patient.mrn, packet.payer)),
                _cell(packet.member_id),
                _date(packet.decision.planned_procedure_date),
                _cell(packet.payer_reference),
                _cell(packet.authorization_number),
                _date(packet.valid_to),
                _date(packet.pended_due),
            ]
        )
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        part="authorization queue CSV",
        patients_shown=shown,
    )
    return response


def _cell(text: str) -> str:
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


# --------------------------------------------------------------------------------------------
# Opening a packet


@role_required(AUTHORIZATION)
@never_cache
@require_http_methods(["GET", "POST"])
def packet_open(request: HttpRequest, intake_id: int) -> HttpResponse:
    intake = get_object_or_404(Intake.objects.select_related("patient"), pk=intake_id)
    existing = selectors.packet_of_intake(intake)
    if existing is not None:
        return redirect("authorization:packet", packet_id=existing.pk)
    decision = selectors.proceed_decision(intake)
    if decision is None:
        raise Http404("This intake has no decision to proceed.")
    patient = intake.patient
    form = PacketFieldsForm(
        request.POST or None,
        initial={"payer": patient.insurance_payer, "member_id": patient.insurance_member_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            packet = services.packet_open(
                intake=intake,
                user=request.user,
                now=timezone.now(),
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, f"Packet opened for {patient.full_name} (revision 1).")
            return redirect("authorization:packet", packet_id=packet.pk)
    audit_record(
        action=AuditAction.VIEW,
        request=request,
        patient=patient,
        obj=intake,
        part="authorization packet opening",
    )
    return render(
        request,
        "authorization/packet_open.html",
        {"intake": intake, "patient": patient, "decision": decision, "form": form},
        status=400 if form.errors else 200,
    )


# --------------------------------------------------------------------------------------------
# The packet page


def _packet(packet_id: int) -> AuthorizationPacket:
    return get_object_or_404(
        AuthorizationPacket.objects.select_related(
            "intake__patient", "decision__screening__criteria_set", "ordering_physician"
        ),
        pk=packet_id,
    )


def _criteria_choices(content: Any) -> list[tuple[str, str]]:
    return [(c.rule_code, c.wording) for c in content.criteria]


def render_packet(
    request: HttpRequest,
    packet: AuthorizationPacket,
    *,
    status: int = 200,
    content: PacketContent | None = None,
    **forms: Any,
) -> HttpResponse:
    """The packet page; `content` when the caller has already built it (once a request)."""
    if content is None:
        content = selectors.packet_content(packet, now=timezone.now())
    coordinator = has_role(request.user, AUTHORIZATION)
    physician = has_role(request.user, PHYSICIAN)
    latest = not packet.has_newer_revision
    context: dict[str, Any] = {
        "packet": packet,
        "content": content,
        "coordinator": coordinator,
        "physician": physician,
        "latest": latest,
        "history": selectors.packet_history(packet),
        "revisions": AuthorizationPacket.objects.filter(intake=packet.intake)
        .order_by("revision")
        .only("pk", "revision", "status", "revision_reason", "created_at"),
        "statement": (
            selectors.medical_necessity_statement(packet)
            if packet.status == PacketStatus.DRAFT
            else packet.attestation_statement
        ),
        "attestation_phrase": services.attestation_phrase(request.user),
    }
    if coordinator and packet.status == PacketStatus.DRAFT:
        context["edit_form"] = forms.get("edit_form") or PacketFieldsForm(instance=packet)
    if physician and packet.status == PacketStatus.DRAFT:
        context["attest_form"] = forms.get("attest_form") or AttestForm()
    if coordinator and latest:
        context["move_forms"] = [
            (
                to_status,
                PacketStatus(to_status).label,
                forms.get(f"move_{to_status}")
                or MOVE_FORMS[to_status](prefix=to_status, criteria=_criteria_choices(content)),
            )
            for to_status in packet.next_statuses
            if to_status in MOVE_FORMS
        ]
        if packet.status != PacketStatus.DRAFT:
            context["revise_form"] = forms.get("revise_form") or ReviseForm()
    response = render(request, "authorization/packet.html", context, status=status)
    audit_record(
        action=AuditAction.VIEW,
        request=request,
        patient=packet.intake.patient_id,
        obj=packet,
        part="authorization packet",
    )
    return response


@role_required(AUTHORIZATION, PHYSICIAN)
@never_cache
@require_GET
def packet_detail(request: HttpRequest, packet_id: int) -> HttpResponse:
    return render_packet(request, _packet(packet_id))


def _submit(
    request: HttpRequest,
    packet: AuthorizationPacket,
    form: Any,
    *,
    form_name: str,
    action: Callable[[Any], AuthorizationPacket],
    success: Callable[[AuthorizationPacket], str],
    content: PacketContent | None = None,
) -> HttpResponse:
    """A packet page's form: valid, the service is called and the page it leads to shown with
    a confirmation; refused (by the form or the service, on the field it names), the packet
    page again with the form as it was sent (and the content the view built, if it did)."""
    if form.is_valid():
        try:
            result = action(form)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, success(result))
            return redirect("authorization:packet", packet_id=result.pk)
    return render_packet(request, packet, status=400, content=content, **{form_name: form})


def _now_and_request(request: HttpRequest) -> dict[str, Any]:
    return {"user": request.user, "now": timezone.now(), "request": request}


@role_required(AUTHORIZATION)
@never_cache
@require_POST
def packet_edit(request: HttpRequest, packet_id: int) -> HttpResponse:
    packet = _packet(packet_id)
    form = PacketFieldsForm(request.POST, instance=AuthorizationPacket.objects.get(pk=packet.pk))
    return _submit(
        request,
        packet,
        form,
        form_name="edit_form",
        action=lambda form: services.packet_update(
            packet=packet,
            **_now_and_request(request),
            **{name: form.cleaned_data[name] for name in PacketFieldsForm.Meta.fields},
        ),
        success=lambda _packet: "Packet details saved.",
    )


@role_required(PHYSICIAN)
@never_cache
@require_POST
def packet_attest(request: HttpRequest, packet_id: int) -> HttpResponse:
    packet = _packet(packet_id)
    return _submit(
        request,
        packet,
        AttestForm(request.POST),
        form_name="attest_form",
        action=lambda form: services.packet_attest(
            packet=packet, **_now_and_request(request), **form.cleaned_data
        ),
        success=lambda _packet: "Packet attested. It can no longer change.",
    )


@role_required(AUTHORIZATION)
@never_cache
@require_POST
def packet_move(request: HttpRequest, packet_id: int, to_status: str) -> HttpResponse:
    packet = _packet(packet_id)
    if to_status not in MOVE_FORMS:
        raise Http404("No such status.")
    content = selectors.packet_content(packet, now=timezone.now())
    form = MOVE_FORMS[to_status](
        request.POST, prefix=to_status, criteria=_criteria_choices(content)
    )
    return _submit(
        request,
        packet,
        form,
        form_name=f"move_{to_status}",
        action=lambda form: services.packet_move(
            packet=packet, to_status=to_status, values=form.values(), **_now_and_request(request)
        ),
        success=lambda _packet: f"Packet marked {PacketStatus(to_status).label.lower()}.",
        content=content,
    )


@role_required(AUTHORIZATION)
@never_cache
@require_POST
def packet_revise(request: HttpRequest, packet_id: int) -> HttpResponse:
    packet = _packet(packet_id)
    return _submit(
        request,
        packet,
        ReviseForm(request.POST),
        form_name="revise_form",
        action=lambda form: services.packet_revise(
            packet=packet, reason=form.cleaned_data["reason"], **_now_and_request(request)
        ),
        success=lambda revision: f"Revision {revision.revision} started as a draft.",
    )


# --------------------------------------------------------------------------------------------
# The packet as files


def _file_response(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required(AUTHORIZATION, PHYSICIAN)
@never_cache
@require_GET
def packet_pdf(request: HttpRequest, packet_id: int) -> HttpResponse:
    from authorization.pdf import packet_pdf as render_pdf

    packet = _packet(packet_id)
    body = render_pdf(selectors.packet_content(packet, now=timezone.now()))
    audit_record(
        action=AuditAction.PRINT,
        request=request,
        patient=packet.intake.patient_id,
        obj=packet,
        part="authorization packet PDF",
    )
    return _file_response(
        body, "application/pdf", f"authorization-packet-{packet.pk}-r{packet.revision}.pdf"
    )


@role_required(AUTHORIZATION, PHYSICIAN)
@never_cache
@require_GET
def packet_bundle(request: HttpRequest, packet_id: int) -> HttpResponse:
    from authorization.fhir_bundle import packet_bundle as bundle_of
    from intake.fhir import patient_resource, questionnaire_response

    packet = _packet(packet_id)
    content = selectors.packet_content(packet, now=timezone.now())
    bundle = bundle_of(
        content,
        questionnaire_response(packet.intake, packet.decision.screening),
        patient_resource(packet.intake.patient),
    )
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        patient=packet.intake.patient_id,
        obj=packet,
        part="authorization packet FHIR bundle",
    )
    return _file_response(
        json.dumps(bundle, indent=2).encode(),
        "application/fhir+json",
        f"authorization-packet-{packet.pk}-r{packet.revision}.json",
    )
