"""The impact preview and the re-screen as pages of a criteria set in Django admin.

They are pages of the criteria set admin (URLs ``admin:screener_criteriaset_impact`` and
``admin:screener_criteriaset_rescreen``, templates under ``templates/admin/screener/``), added
through ``screener.hooks`` (``intake/rescreen/hooks.py``): the criteria side never imports them.
Each view gets the ``CriteriaSetAdmin`` for its helpers. Long work runs as a background job
(``CriteriaJob``) whose progress page is the job admin's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from intake.models import AuditAction
from intake.rescreen import selectors
from intake.rescreen.forms import GoldenCaseFromIntakeForm, ImpactPreviewForm
from intake.rescreen.golden_cases import IntakeNotCopyable, golden_case_from_intake
from intake.rescreen.impact import ImpactReport, impact_preview, with_patients
from intake.roles import PHYSICIAN, has_role
from intake.services.audit import audit_record, patients_of_intakes
from screener import services, tasks
from screener.models import CriteriaJob, CriteriaJobKind, CriteriaSet, CriteriaSetStatus
from screener.selectors import newest_published_set

if TYPE_CHECKING:
    from screener.admin.criteria_set import CriteriaSetAdmin

# Impact previews up to this many intakes run within the request; more run in the background.
PREVIEW_IN_REQUEST = 500


def is_newest_published(criteria_set: CriteriaSet) -> bool:
    """Open intakes are re-screened under the newest published version only."""
    return (
        criteria_set.status == CriteriaSetStatus.PUBLISHED
        and newest_published_set(criteria_set.procedure) == criteria_set
    )


def impact_view(
    model_admin: CriteriaSetAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """Preview a draft over the last submitted intakes: in the request up to
    ``PREVIEW_IN_REQUEST`` of them, as a background job beyond."""
    criteria_set = model_admin.criteria_set_or_404(request, object_id, "view")
    if not criteria_set.is_draft:
        messages.error(request, "Impact preview is for drafts: clone this set first.")
        return model_admin.redirect_to_set(criteria_set)
    form = ImpactPreviewForm(request.POST if request.method == "POST" else None)
    report = None
    problems = services.criteria_set_check(criteria_set)
    if request.method == "POST" and form.is_valid() and not problems:
        limit = form.cleaned_data["limit"]
        if limit > PREVIEW_IN_REQUEST:
            job = services.criteria_job_create(
                kind=CriteriaJobKind.IMPACT,
                criteria_set=criteria_set,
                limit=limit,
                user=request.user,
            )
            return enqueue_job(request, job)
        report = report_for_reader(
            request, impact_preview(criteria_set=criteria_set, limit=limit), "impact preview"
        )
    return model_admin.render_page(
        request,
        "impact",
        criteria_set,
        f"Impact preview of {criteria_set}",
        form=form,
        report=report,
        problems=problems,
        golden_set=criteria_set if may_add_golden_case(request, criteria_set) else None,
    )


def report_for_reader(request: HttpRequest, report: ImpactReport, what: str) -> ImpactReport:
    """The report as its reader may see it: each changed case naming its patient and linking
    to its case for a physician (``with_patients``), the intake number only otherwise. A report
    that names patients is a list of patients' records: audited as such."""
    shown = with_patients(report, can_see_patients=has_role(request.user, PHYSICIAN))
    named = [case.intake_id for case in shown.cases if case.patient]
    if named:
        audit_record(
            action=AuditAction.LIST,
            request=request,
            patients_shown=patients_of_intakes(named),
            part=what,
            detail=f"{len(named)} changed cases of {report.criteria_set}",
        )
    return shown


def job_report_for_reader(result: dict, request: HttpRequest) -> ImpactReport:
    """A finished job's stored report (``ImpactReport.as_dict``), as its reader may see it."""
    return report_for_reader(request, ImpactReport.from_dict(result), "background job report")


def may_add_golden_case(request: HttpRequest, criteria_set: CriteriaSet) -> bool:
    """Golden cases are added to a draft, by a user who may change it (a criteria admin)."""
    return (
        criteria_set.is_draft
        and request.user.has_perm("screener.change_criteriaset")
        and request.user.has_perm("screener.add_goldencase")
    )


def golden_from_intake_view(
    model_admin: CriteriaSetAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """Make a golden case of the draft from a real intake (its number), then open it to edit:
    the answers and the current result are copied, no patient identity."""
    criteria_set = model_admin.criteria_set_or_404(request, object_id, "change")
    if not may_add_golden_case(request, criteria_set):
        messages.error(
            request,
            f"Golden cases are added to a draft by a criteria admin; {criteria_set} is "
            f"{criteria_set.status}.",
        )
        return model_admin.redirect_to_set(criteria_set)
    form = GoldenCaseFromIntakeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            made = golden_case_from_intake(
                criteria_set=criteria_set,
                intake_id=form.cleaned_data["intake"],
                user=request.user,
                request=request,
            )
        except IntakeNotCopyable as refused:
            form.add_error("intake", f"Intake number: {refused.message}")
        except services.GoldenCaseRefused as refused:
            messages.error(request, refused.message)
            return model_admin.redirect_to_set(criteria_set)
        else:
            left_out = (
                f" Answers to questions this draft no longer has were left out: "
                f"{', '.join(made.left_out)}."
                if made.left_out
                else ""
            )
            messages.success(
                request,
                f"Golden case {made.case.name} made from intake {form.cleaned_data['intake']}: "
                f"check its answers and expected result, then save.{left_out}",
            )
            return HttpResponseRedirect(
                reverse("admin:screener_goldencase_change", args=[made.case.pk])
            )
    return model_admin.render_page(
        request,
        "golden_from_intake",
        criteria_set,
        "Golden case from an intake",
        form=form,
    )


def rescreen_view(
    model_admin: CriteriaSetAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """Re-screen the open intakes of older versions under the newest published one (a
    background job, after a confirmation that counts them)."""
    criteria_set = model_admin.criteria_set_or_404(request, object_id, "change")
    newest = newest_published_set(criteria_set.procedure)
    if newest is None or newest.pk != criteria_set.pk:
        messages.error(
            request,
            f"Open intakes are re-screened under the newest published version"
            f"{f' ({newest})' if newest else ''}, not {criteria_set}.",
        )
        return model_admin.redirect_to_set(criteria_set)
    counts = selectors.rescreen_counts(criteria_set)
    if request.method == "POST":
        if not counts:
            messages.info(request, "Nothing to re-screen: no open intake is on an older version.")
            return model_admin.redirect_to_set(criteria_set)
        job = services.criteria_job_create(
            kind=CriteriaJobKind.RESCREEN, criteria_set=criteria_set, user=request.user
        )
        return enqueue_job(request, job)
    return model_admin.render_page(
        request,
        "rescreen",
        criteria_set,
        f"Re-screen open intakes under {criteria_set}?",
        counts=counts,
        total=sum(count for _version, count in counts),
    )


def enqueue_job(request: HttpRequest, job: CriteriaJob) -> HttpResponseRedirect:
    """Queue a job's task once the job row is committed; show its progress page."""

    def enqueue() -> None:
        result = tasks.task_of(job.kind).enqueue(job.pk)
        services.criteria_job_task_set(job_id=job.pk, task_id=str(result.id))

    transaction.on_commit(enqueue)
    messages.info(
        request, f"{job.get_kind_display()} queued; this page updates itself while it runs."
    )
    return HttpResponseRedirect(reverse("admin:screener_criteriajob_change", args=[job.pk]))


# List actions of the criteria sets: each opens the page of the one set selected.


@admin.action(description="Preview impact (draft)")
def action_preview_impact(model_admin: CriteriaSetAdmin, request: HttpRequest, queryset):
    return model_admin.page_of_selected(request, queryset, "impact")


@admin.action(description="Re-screen open intakes (newest published)", permissions=["change"])
def action_rescreen(model_admin: CriteriaSetAdmin, request: HttpRequest, queryset):
    return model_admin.page_of_selected(request, queryset, "rescreen")
