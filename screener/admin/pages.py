"""The criteria side's own pages beside a criteria set: run its golden cases, publish, clone,
retire, export; and the list actions that open them. Each view is
``view(model_admin, request, object_id)`` with the ``CriteriaSetAdmin`` for its helpers, as the
pages other apps add through ``screener.hooks`` are; ``PAGES`` gives their order.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from screener import selectors, services
from screener.forms import ConfirmForm
from screener.golden import golden_cases_run, golden_failures
from screener.hooks import CriteriaSetPage, registry
from screener.models import CriteriaSet, CriteriaSetStatus
from screener.transfer import criteria_set_data

if TYPE_CHECKING:
    from screener.admin.criteria_set import CriteriaSetAdmin


def message_with_lines(intro: str, lines) -> SafeString:
    """A message's text and one line per item, escaped. Not a nested list: the admin styles
    every ``li`` of its message list as a message of its own (a green tick under a red error)."""
    return format_html(
        "{}{}", intro, format_html_join("", '<br><span class="message-line">{}</span>', lines)
    )


def golden_view(model_admin: CriteriaSetAdmin, request: HttpRequest, object_id: str):
    criteria_set = model_admin.criteria_set_or_404(request, object_id, "view")
    results = golden_cases_run(criteria_set)
    failed = sum(not r.passed for r in results)
    return model_admin.render_page(
        request,
        "golden",
        criteria_set,
        f"Golden cases of {criteria_set}",
        results=results,
        failed=failed,
        passed=len(results) - failed,
        problems=services.criteria_set_check(criteria_set),
    )


def publish_view(model_admin: CriteriaSetAdmin, request: HttpRequest, object_id: str):
    criteria_set = model_admin.criteria_set_or_404(request, object_id, "change")
    if not criteria_set.is_draft:
        messages.error(request, f"{criteria_set} is already {criteria_set.status}.")
        return model_admin.redirect_to_set(criteria_set)
    if request.method == "POST":
        try:
            published = services.criteria_set_publish(criteria_set=criteria_set, user=request.user)
        except services.PublishRefused as refused:
            messages.error(
                request,
                message_with_lines(
                    f"Not published: {criteria_set} still has problems.",
                    ((m,) for m in refused.messages),
                ),
            )
            return HttpResponseRedirect(request.path)
        messages.success(
            request,
            " ".join(
                [f"Published {published}: new intakes use it.", *registry.publish_notes(published)]
            ),
        )
        return model_admin.redirect_to_set(published)
    problems = [str(p) for p in services.criteria_set_check(criteria_set)]
    failures = [] if problems else golden_failures(criteria_set)
    return model_admin.render_page(
        request,
        "publish",
        criteria_set,
        f"Publish {criteria_set}?",
        problems=problems,
        failures=failures,
        golden_count=criteria_set.goldencase_set.count(),
        newest=selectors.newest_published_set(criteria_set.procedure),
    )


def clone_view(model_admin: CriteriaSetAdmin, request: HttpRequest, object_id: str):
    criteria_set = model_admin.criteria_set_or_404(request, object_id, "add")
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        draft = services.criteria_set_clone(
            criteria_set=criteria_set, notes=form.cleaned_data["note"], user=request.user
        )
        messages.success(
            request,
            f"Cloned {criteria_set} as the new draft {draft}: edit it, run its golden cases "
            "and preview its impact before publishing.",
        )
        return model_admin.redirect_to_set(draft)
    return model_admin.render_page(
        request,
        "confirm",
        criteria_set,
        f"Clone {criteria_set} as a new draft?",
        form=form,
        button="Clone as new draft",
        explanation=(
            f"A full copy of {criteria_set} (questions, parameters, derived values, rules, "
            f"content and golden cases) becomes draft version "
            f"{selectors.next_version(criteria_set.procedure)}. {criteria_set} is not "
            "changed."
        ),
        note_label="Notes for the new version (what will change, and why)",
    )


def retire_view(model_admin: CriteriaSetAdmin, request: HttpRequest, object_id: str):
    criteria_set = model_admin.criteria_set_or_404(request, object_id, "change")
    if criteria_set.status != CriteriaSetStatus.PUBLISHED:
        messages.error(request, f"Only a published set can be retired; {criteria_set} is not.")
        return model_admin.redirect_to_set(criteria_set)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.criteria_set_retire(criteria_set=criteria_set, user=request.user)
        messages.success(
            request,
            f"Retired {criteria_set}: new intakes no longer use it; intakes pinned to it keep it.",
        )
        return model_admin.redirect_to_set(criteria_set)
    newest_other = (
        CriteriaSet.objects.published()
        .filter(procedure=criteria_set.procedure)
        .exclude(pk=criteria_set.pk)
        .order_by("-version")
        .first()
    )
    warning = (
        ""
        if newest_other
        else f"{criteria_set.procedure} will have no published version: new intakes "
        "cannot be started until one is published."
    )
    return model_admin.render_page(
        request,
        "confirm",
        criteria_set,
        f"Retire {criteria_set}?",
        form=form,
        button="Retire",
        explanation=(
            f"New intakes will no longer use {criteria_set}. Intakes pinned to it keep it "
            f"({criteria_set.intakes.count()} intakes). A retired set cannot be published "
            "again; clone it to reuse it."
        ),
        warning=warning,
        hide_note=True,
    )


def export_view(model_admin: CriteriaSetAdmin, request: HttpRequest, object_id: str):
    criteria_set = model_admin.criteria_set_or_404(request, object_id, "view")
    response = HttpResponse(
        json.dumps(criteria_set_data(criteria_set), indent=2, ensure_ascii=False),
        content_type="application/json",
    )
    name = f"{criteria_set.procedure.slug}-v{criteria_set.version}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# List actions: each opens the page of the one set selected.


@admin.action(description="Run golden cases")
def action_run_golden(model_admin: CriteriaSetAdmin, request: HttpRequest, queryset):
    return model_admin.page_of_selected(request, queryset, "golden")


@admin.action(description="Publish (draft)", permissions=["change"])
def action_publish(model_admin: CriteriaSetAdmin, request: HttpRequest, queryset):
    return model_admin.page_of_selected(request, queryset, "publish")


@admin.action(description="Clone as new draft", permissions=["add"])
def action_clone(model_admin: CriteriaSetAdmin, request: HttpRequest, queryset):
    return model_admin.page_of_selected(request, queryset, "clone")


@admin.action(description="Retire (published)", permissions=["change"])
def action_retire(model_admin: CriteriaSetAdmin, request: HttpRequest, queryset):
    return model_admin.page_of_selected(request, queryset, "retire")


PAGES = (
    CriteriaSetPage("golden", golden_view, "Run golden cases", action=action_run_golden),
    CriteriaSetPage(
        "publish", publish_view, "Publish", shown=lambda s: s.is_draft, action=action_publish
    ),
    CriteriaSetPage(
        "clone",
        clone_view,
        "Clone as new draft",
        shown=lambda s: not s.is_draft,
        action=action_clone,
    ),
    CriteriaSetPage(
        "retire",
        retire_view,
        "Retire",
        shown=lambda s: s.status == CriteriaSetStatus.PUBLISHED,
        action=action_retire,
    ),
    CriteriaSetPage("export", export_view, "Export JSON"),
)
