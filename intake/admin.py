"""The audit report: the audit log in Django admin, for auditors and superusers.

Read only (nobody adds, changes or deletes a row here), filtered by action, outcome, date,
patient (id or MRN: events about the patient and list pages or exports that showed them) and
user. Built for millions of rows: the filters use the (patient, at), (user, at) and
(action, at) indexes, the count is bounded (``BoundedCountPaginator``), columns do not sort, and
there are no facet counts. Looking at the report is itself audited (LIST for a page, VIEW for
one event, EXPORT for the CSV of the filtered report).
"""

from __future__ import annotations

import csv
import datetime
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from intake.models import AuditAction, AuditEvent, AuditOutcome, FhirClient
from intake.selectors import audit as selectors
from intake.selectors.pagination import BoundedCountPaginator
from intake.services.audit import audit_record, stream_then_record


class InputFilter(admin.SimpleListFilter):
    """A filter typed into a box (an id, a name, a date) instead of a list of choices."""

    template = "admin/intake/input_filter.html"
    input_type = "text"
    placeholder = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> tuple:
        return ()

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: Any) -> Any:
        yield {
            "parameter": self.parameter_name,
            "value": self.value() or "",
            "input_type": self.input_type,
            "placeholder": self.placeholder,
            "hidden": [
                (name, value)
                for name, values in changelist.filter_params.items()
                if name != self.parameter_name
                for value in values
            ],
            "clear_url": changelist.get_query_string(remove=[self.parameter_name]),
        }


class PatientFilter(InputFilter):
    title = "patient (id or MRN)"
    parameter_name = "patient"
    placeholder = "MRN or id"

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if not self.value():
            return None
        patient_id = selectors.patient_id_for(self.value())
        request.audit_report_patient = patient_id  # type: ignore[attr-defined]  (for the row)
        if patient_id is None:
            return queryset.none()
        return selectors.events_of_patient(queryset, patient_id)


class UserFilter(InputFilter):
    title = "user (username or id)"
    parameter_name = "user"
    placeholder = "username"

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if not self.value():
            return None
        return selectors.events_of_user(queryset, self.value())


class DayFilter(InputFilter):
    input_type = "date"

    def day(self) -> datetime.date | None:
        if not self.value():
            return None
        try:
            return datetime.date.fromisoformat(self.value())
        except ValueError as exc:
            raise IncorrectLookupParameters(f"{self.title}: not a date") from exc


class RecentFilter(admin.DateFieldListFilter):
    """Today, the past 7 days, this month, this year."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "time"


class FromDayFilter(DayFilter):
    title = "date from"
    parameter_name = "from"

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        day = self.day()
        return None if day is None else selectors.events_from(queryset, day)


class UntilDayFilter(DayFilter):
    title = "date until (inclusive)"
    parameter_name = "until"

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        day = self.day()
        return None if day is None else selectors.events_until(queryset, day)


class _Echo:
    def write(self, value: str) -> str:
        return value


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "username",
        "role",
        "action",
        "outcome",
        "patient_mrn",
        "part",
        "object_label",
        "source_address",
    )
    list_filter = (
        "action",
        "outcome",
        ("at", RecentFilter),
        FromDayFilter,
        UntilDayFilter,
        PatientFilter,
        UserFilter,
    )
    list_select_related = ("patient",)
    ordering = ("-at", "-id")
    sortable_by = ()  # sorting by an unindexed column would scan the whole log
    list_per_page = 100
    list_max_show_all = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = BoundedCountPaginator
    actions = None
    change_list_template = "admin/intake/auditevent/change_list.html"

    @admin.display(description="patient (MRN)")
    def patient_mrn(self, event: AuditEvent) -> str:
        return event.patient.mrn if event.patient is not None else ""

    @admin.display(description="object")
    def object_label(self, event: AuditEvent) -> str:
        return f"{event.object_type} {event.object_id}".strip()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_view),
            name="intake_auditevent_export",
        )
        return [export, *super().get_urls()]

    # Each look at the report is audited too: who saw which patients' access records.

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if isinstance(response, TemplateResponse) and changelist is not None:
            events = list(changelist.result_list)  # the page's rows (the template reuses them)
            audit_record(
                action=AuditAction.LIST,
                request=request,
                patient=self._filtered_patient(request),
                part="audit report",
                patients_shown=[event.patient_id for event in events if event.patient_id],
                detail=self._filters_text(request, f"{len(events)} events shown"),
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        event = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and isinstance(event, AuditEvent):
            audit_record(
                action=AuditAction.VIEW,
                request=request,
                patient=event.patient_id,
                obj=event,
                part="audit report",
            )
        return response

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The filtered report as CSV (every row, report order), streamed; audited as EXPORT
        once the last row has gone (or the download stopped), with the patients it held."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        try:
            events = self.get_changelist_instance(request).queryset
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(
                "No export was made: a filter is not valid (a date is YYYY-MM-DD).\n",
                content_type="text/plain; charset=utf-8",
            )
        patient_id = self._filtered_patient(request)

        def record(patient_ids: list[int], complete: bool) -> None:
            audit_record(
                action=AuditAction.EXPORT,
                request=request,
                patient=patient_id,
                part="audit report CSV",
                patients_shown=patient_ids,
                outcome=AuditOutcome.OK if complete else AuditOutcome.FAILED,
                detail=self._filters_text(
                    request,
                    f"{len(patient_ids)} rows with a patient"
                    + ("" if complete else ", stopped before the end"),
                ),
            )

        lines = stream_then_record(
            selectors.audit_csv_rows(events),
            key=lambda row: int(row[6]) if row[6].isdigit() else None,
            record=record,
            render=csv.writer(_Echo()).writerow,
        )
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="audit-report-{stamp}.csv"'
        return response

    def _filtered_patient(self, request: HttpRequest) -> int | None:
        """The patient the report is filtered by (found once, by the filter)."""
        if hasattr(request, "audit_report_patient"):
            return request.audit_report_patient
        typed = request.GET.get(PatientFilter.parameter_name, "")
        return selectors.patient_id_for(typed) if typed else None

    def _filters_text(self, request: HttpRequest, lead: str) -> str:
        """What the report was filtered by; the patient as its id (the row's patient), never
        the MRN typed."""
        shown = [
            f"{name}={value}"
            for name, value in sorted(request.GET.items())
            if name not in (PatientFilter.parameter_name, "p", "o", "e")
        ]
        if request.GET.get(PatientFilter.parameter_name):
            shown.append("patient filter")
        return f"{lead}; filters: {', '.join(shown) or 'none'}"


@admin.register(FhirClient)
class FhirClientAdmin(admin.ModelAdmin):
    """FHIR API clients, for superusers: deactivate one (its token then opens nothing). A
    client and its token are made with ``manage.py fhir_client_create``, which shows the token
    once; the admin never shows or sets one."""

    list_display = ["name", "scopes", "active", "created_at", "last_used_at"]
    list_filter = ["active"]
    fields = ["name", "scopes", "active", "created_at", "last_used_at"]
    readonly_fields = ["name", "scopes", "created_at", "last_used_at"]

    def has_add_permission(self, request: Any) -> bool:
        return False
