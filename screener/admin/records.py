"""A set's records in admin: its change log (the inline on the set's page and the list of every
change) and its background jobs, whose page is the job's progress, with resume for a stalled
one. Nobody adds, changes or deletes a record here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from screener import tasks
from screener.admin_params import (
    DateFilterBoundsMixin,
    QuerySafeAdminMixin,
    object_pk,
    refuse_nul,
)
from screener.hooks import registry
from screener.models import CriteriaChange, CriteriaJob, CriteriaJobKind


class ReadOnlyAdmin:
    """Admin pages and inlines that show records and never add, change or delete them."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CriteriaChangeInline(ReadOnlyAdmin, admin.TabularInline):
    """The set's change log, newest first: who, when, what changed."""

    model = CriteriaChange
    extra = 0
    template = "admin/screener/edit_inline/tabular.html"  # no empty header cells
    fields = ("at", "user", "action", "what_changed")
    readonly_fields = fields
    verbose_name_plural = "change log"
    ordering = ("-at", "-id")

    @admin.display(description="what changed")
    def what_changed(self, change: CriteriaChange) -> str:
        return what_changed(change)


def what_changed(change: CriteriaChange) -> str:
    if not change.details or change.details == [change.summary]:
        return change.summary
    return format_html(
        "{}<ul>{}</ul>",
        change.summary,
        format_html_join("", "<li>{}</li>", ((line,) for line in change.details)),
    )


class CriteriaChangeAdmin(
    DateFilterBoundsMixin, QuerySafeAdminMixin, ReadOnlyAdmin, admin.ModelAdmin
):
    list_display = ("at", "set_label", "action", "user", "summary")
    list_filter = ("action", "criteria_set")
    search_fields = ("summary", "set_label")
    fields = ("at", "set_label", "criteria_set", "action", "user", "what")
    readonly_fields = fields
    date_hierarchy = "at"

    @admin.display(description="what changed")
    def what(self, change: CriteriaChange) -> str:
        return what_changed(change)


class CriteriaJobAdmin(QuerySafeAdminMixin, ReadOnlyAdmin, admin.ModelAdmin):
    """Background jobs; a job's page is its progress (it refreshes itself while running)."""

    list_display = ("__str__", "kind", "status", "done", "total", "created_by", "created_at")
    list_filter = ("kind", "status")

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ):
        if not self.has_view_permission(request):
            raise PermissionDenied
        refuse_nul(request)
        job = (
            CriteriaJob.objects.select_related("criteria_set__procedure", "created_by")
            .filter(pk=object_pk(object_id))
            .first()
        )
        if job is None:
            raise Http404("No such job.")
        handler = registry.job_handler(job.kind)
        report = handler.report(job.result, request) if job.result and handler else None
        return TemplateResponse(
            request,
            "admin/screener/criteriajob/progress.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": job,
                "job": job,
                "report": report,
                # A re-screen's report says what changed; a preview's what would change.
                "report_applied": job.kind == CriteriaJobKind.RESCREEN,
                "title": f"{job.get_kind_display()}: {job.criteria_set}",
                "refresh_seconds": 2,
                **self.stall_context(request, job),
            },
        )

    # -- a stalled job: its worker stopped (no heartbeat); a criteria admin resumes it -------

    def get_urls(self):
        resume = self.admin_site.admin_view(self.resume_view)
        return [
            path("<path:object_id>/resume/", resume, name="screener_criteriajob_resume"),
            *super().get_urls(),
        ]

    def stall_context(self, request: HttpRequest, job: CriteriaJob) -> dict[str, Any]:
        seconds = tasks.stall_seconds()
        stalled = job.is_stalled(now=timezone.now(), seconds=seconds)
        return {
            "stalled": stalled,
            "stalled_message": job_stalled_message(job, seconds) if stalled else "",
            "can_resume": stalled and request.user.has_perm(RESUME_PERMISSION),
        }

    def resume_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Resume a stalled job (criteria admins: a re-screen changes patients' screenings)."""
        if not (self.has_view_permission(request) and request.user.has_perm(RESUME_PERMISSION)):
            raise PermissionDenied
        text = object_id
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise Http404("No such job.")
        job = get_object_or_404(
            CriteriaJob.objects.select_related("criteria_set__procedure"), pk=int(text)
        )
        progress = HttpResponseRedirect(reverse("admin:screener_criteriajob_change", args=[job.pk]))
        seconds = tasks.stall_seconds()
        if request.method == "POST":
            if tasks.criteria_job_resume(job_id=job.pk) is None:
                messages.warning(
                    request,
                    "Not resumed: the job has not stalled (it finished, its worker is alive, or "
                    "it was resumed already).",
                )
            else:
                messages.success(request, "Resumed: the task worker continues it.")
            return progress
        if not job.is_stalled(now=timezone.now(), seconds=seconds):
            messages.info(request, "This job has not stalled: there is nothing to resume.")
            return progress
        return TemplateResponse(
            request,
            "admin/screener/criteriajob/resume.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": job,
                "job": job,
                "title": f"Resume {job.get_kind_display().lower()} {job.pk}?",
                "explanation": job_stalled_message(job, seconds),
            },
        )


# Resuming a job needs what starting it needs: a re-screen is started by a criteria admin.
RESUME_PERMISSION = "screener.change_criteriaset"


def job_stalled_message(job: CriteriaJob, seconds: float) -> str:
    """What a stalled job's page says: where the worker stopped, and what resuming does (as
    its kind's handler says)."""
    handler = registry.job_handler(job.kind)
    effect = f" {handler.resume_effect}" if handler else ""
    if job.runs < tasks.AUTOMATIC_RUNS:
        automatic = "A task worker that starts resumes it by itself."
    else:
        automatic = f"After {job.runs} runs, task workers no longer resume it by themselves."
    return (
        f"Stalled: the worker stopped at {job.done:,} of {job.total:,} intakes (no sign of life "
        f"for more than {seconds:g} seconds); resume it.{effect} {automatic}"
    )
