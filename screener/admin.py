"""Criteria sets in Django admin, for criteria admins (a clinician with a clinic manager).

A draft is edited inline (parameters, derived values, questions, rules, content); saving it
checks every expression against the whole set as it would be after the save, shows each error
on its row naming the rule, and stores nothing while any is left. A published or retired set is
shown read-only and cannot be deleted: it can only be cloned as a new draft or retired.

Pages beside the set (each with a confirmation step where it changes something): run golden
cases, publish, clone, retire, export; the intake side adds the impact preview and the re-screen
of open intakes through ``screener.hooks`` (``intake/rescreen/admin.py``). Their long work runs
as a background job with a progress page that refreshes itself (the job admin below). Every
change is recorded in the set's change log.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from screener import engine, selectors, services, tasks, validation
from screener.admin_params import (
    DateFilterBoundsMixin,
    QuerySafeAdminMixin,
    object_pk,
    refuse_nul,
)
from screener.forms import (
    ConfirmForm,
    ContentBlockForm,
    GoldenCaseForm,
    QuestionForm,
    RuleForm,
)
from screener.golden import golden_cases_run, golden_failures
from screener.hooks import CriteriaSetPage, registry
from screener.models import (
    ContentBlock,
    CriteriaChange,
    CriteriaJob,
    CriteriaSet,
    CriteriaSetStatus,
    DerivedValue,
    GoldenCase,
    Parameter,
    Procedure,
    Question,
    Rule,
)
from screener.transfer import criteria_set_data

EFFECTS = [e.value for e in engine.Effect]


@admin.register(Procedure)
class ProcedureAdmin(QuerySafeAdminMixin, admin.ModelAdmin):
    """A procedure's name and slug. Once a version is published the slug is read-only (it names
    every version); a rename reaches new versions only (each set keeps its ``procedure_name``)
    and is recorded in the criteria change log."""

    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_readonly_fields(self, request: HttpRequest, obj: Procedure | None = None):
        if obj is not None and obj.slug_frozen:
            return ("slug",)
        return ()

    def get_prepopulated_fields(self, request: HttpRequest, obj: Procedure | None = None):
        return {} if obj is not None and obj.slug_frozen else self.prepopulated_fields

    def save_model(self, request: HttpRequest, obj: Procedure, form, change: bool) -> None:
        services.procedure_save(procedure=obj, user=request.user)


# ------------------------------------------------------------------------------------------
# Inlines of a set


class FrozenWhenPublishedInline(admin.TabularInline):
    """Inline rows of a set: editable on a draft, read-only once published or retired."""

    extra = 0
    show_change_link = False

    def _frozen(self, obj: CriteriaSet | None) -> bool:
        return obj is not None and not obj.is_draft

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class QuestionInline(FrozenWhenPublishedInline):
    model = Question
    form = QuestionForm
    fields = tuple(name for name in QuestionForm.Meta.fields if name != "criteria_set")

    def get_queryset(self, request: HttpRequest):
        section = request.GET.get("section")
        queryset = super().get_queryset(request)
        return queryset.filter(section=section) if section else queryset


class ParameterInline(FrozenWhenPublishedInline):
    model = Parameter
    fields = ("order", "name", "value", "label", "meaning")


class DerivedValueInline(FrozenWhenPublishedInline):
    model = DerivedValue
    fields = ("order", "name", "expression", "label", "meaning")


class RuleInline(FrozenWhenPublishedInline):
    model = Rule
    form = RuleForm
    fields = ("order", "code", "effect", "emergency", "condition", "message", "source")

    def get_queryset(self, request: HttpRequest):
        effect = request.GET.get("effect")
        queryset = super().get_queryset(request)
        return queryset.filter(effect=effect) if effect in EFFECTS else queryset


class ContentBlockInline(FrozenWhenPublishedInline):
    model = ContentBlock
    form = ContentBlockForm
    fields = tuple(name for name in ContentBlockForm.Meta.fields if name != "criteria_set")


class ReadOnlyAdmin:
    """Admin pages and inlines that show records and never add, change or delete them."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class GoldenCaseInline(ReadOnlyAdmin, admin.TabularInline):
    """A summary; each case is edited on its own page (its answers are long)."""

    model = GoldenCase
    extra = 0
    fields = ("order", "name", "description", "expected_outcome", "expected_holding", "as_of")
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "golden cases (edit each on its own page; run them with the button)"


class CriteriaChangeInline(ReadOnlyAdmin, admin.TabularInline):
    """The set's change log, newest first: who, when, what changed."""

    model = CriteriaChange
    extra = 0
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


# ------------------------------------------------------------------------------------------
# Whole-set checks of a draft being saved


PART_MODELS = (Question, Parameter, DerivedValue, Rule)
KEY_FIELD = {Question: "code", Parameter: "name", DerivedValue: "name", Rule: "code"}


def check_draft_formsets(request: HttpRequest, criteria_set: CriteriaSet, formsets: list) -> bool:
    """Check every expression of the set as the formsets would leave it.

    Each problem goes on the row it names (so nothing is saved) and into one message at the
    top. Returns True when the set checks. Rows with their own field errors are left to those.
    """
    by_model = {fs.model: fs for fs in formsets if fs.model in PART_MODELS}
    if not by_model:
        return True  # no expression is edited on this page (content, golden cases, log)
    if not all(fs.is_valid() for fs in by_model.values()):
        return False
    replaced: dict[type, list] = {}
    forms_by_key: dict[tuple[type, str], list] = {}
    for model, formset in by_model.items():
        rows = []
        for form in formset.forms:
            if form.instance.pk is None and not form.has_changed():
                continue  # an empty extra row
            if formset.can_delete and formset._should_delete_form(form):
                continue
            rows.append(form.instance)
            forms_by_key.setdefault((model, getattr(form.instance, KEY_FIELD[model])), []).append(
                form
            )
        shown = [form.instance.pk for form in formset.initial_forms]
        rows += list(model.objects.filter(criteria_set=criteria_set).exclude(pk__in=shown))
        replaced[model] = rows
    problems = validation.draft_problems(criteria_set, replaced)
    if not problems:
        return True
    elsewhere = []  # problems of rows not on this page (another part, or filtered out)
    for problem in problems:
        model = validation.PROBLEM_KINDS.get(problem.kind, (None,))[0]
        forms = forms_by_key.get((model, problem.code), [])
        for form in forms:
            form.add_error(problem.field if problem.field in form.fields else None, str(problem))
        if not forms:
            elsewhere.append(str(problem))
    if elsewhere:
        # Shown above the first table of the page; its formset is then invalid: nothing saved.
        formset = next(iter(by_model.values()))
        formset._non_form_errors = formset.error_class(
            [
                *formset.non_form_errors(),
                *(f"Not saved: a row not shown here does not check: {line}" for line in elsewhere),
            ],
            error_class="nonform",
        )
    messages.error(
        request,
        format_html(
            "Nothing was saved: {} expression problem(s), shown on their rows.<ul>{}</ul>",
            len(problems),
            format_html_join("", "<li>{}</li>", ((str(p),) for p in problems)),
        ),
    )
    return False


# ------------------------------------------------------------------------------------------
# Criteria sets


@admin.register(CriteriaSet)
class CriteriaSetAdmin(QuerySafeAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "procedure", "version", "status", "published_at", "retired_at")
    list_display_links = ("__str__",)
    list_filter = ("procedure", "status")
    ordering = ("procedure__name", "-version")
    inlines = (
        ParameterInline,
        DerivedValueInline,
        QuestionInline,
        RuleInline,
        ContentBlockInline,
        GoldenCaseInline,
        CriteriaChangeInline,
    )
    # The set's page shows one group of parts at a time (``?part=``): a whole set on one page
    # is too long to work with, and its fields would pass Django's request field limit.
    parts = {
        "parameters": ("Parameters and derived values", (ParameterInline, DerivedValueInline)),
        "questions": ("Questions", (QuestionInline,)),
        "rules": ("Rules", (RuleInline,)),
        "content": ("Content", (ContentBlockInline,)),
        "golden": ("Golden cases", (GoldenCaseInline,)),
        "history": ("Change log", (CriteriaChangeInline,)),
    }
    default_part = "parameters"
    readonly_fields = ("procedure", "version", "status", "created_at", "published_at", "retired_at")
    change_form_template = "admin/screener/criteriaset/change_form.html"

    # -- permissions: a published or retired set is view-only and cannot be deleted ----------

    def has_change_permission(self, request: HttpRequest, obj: CriteriaSet | None = None) -> bool:
        if obj is not None and not obj.is_draft:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: CriteriaSet | None = None) -> bool:
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a draft is deleted from its own page
        return actions

    def get_readonly_fields(self, request: HttpRequest, obj: CriteriaSet | None = None):
        if obj is None:  # a new set: its version is the procedure's next one
            return ("status", "created_at", "published_at", "retired_at")
        return self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: CriteriaSet | None = None):
        fields = ["procedure", "version", "status", "notes"]
        fields += ["cpt_primary_thoracic", "cpt_primary_lumbar", "cpt_addon"]
        if obj is None:
            fields.remove("version")
            fields.remove("status")
            return fields  # the new set takes its procedure's name (CriteriaSet.save)
        fields.insert(1, "procedure_name")
        return [*fields, "created_at", "published_at", "retired_at"]

    def current_part(self, request: HttpRequest) -> str:
        part = request.GET.get("part", self.default_part)
        return part if part in self.parts else self.default_part

    def get_inlines(self, request: HttpRequest, obj: CriteriaSet | None):
        if obj is None:
            return ()
        return self.parts[self.current_part(request)][1]

    def response_change(self, request: HttpRequest, obj: CriteriaSet) -> HttpResponse:
        if "_continue" in request.POST:  # stay on the same part and filters
            self.message_user(request, f"Saved {obj}. You may edit it again below.")
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)

    # -- saving a draft: check the whole set, record what changed --------------------------

    def _create_formsets(self, request: HttpRequest, obj: CriteriaSet, change: bool):
        formsets, inline_instances = super()._create_formsets(request, obj, change)
        if request.method == "POST" and change and obj.is_draft:
            check_draft_formsets(request, obj, formsets)
        return formsets, inline_instances

    def save_model(self, request: HttpRequest, obj: CriteriaSet, form, change: bool) -> None:
        if change:
            stored = CriteriaSet.objects.select_related("procedure").get(pk=obj.pk)
            request._criteria_before = criteria_set_data(stored)  # type: ignore[attr-defined]
        else:
            obj.version = selectors.next_version(obj.procedure)
            request._criteria_before = None  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.criteria_set_edit_record(
            criteria_set=form.instance,
            before=getattr(request, "_criteria_before", None),
            user=request.user,
        )

    def delete_model(self, request: HttpRequest, obj: CriteriaSet) -> None:
        services.criteria_set_delete(criteria_set=obj, user=request.user)

    # -- pages beside the set: own ones and those other apps add (``screener.hooks``) ---------

    @staticmethod
    def pages() -> list[CriteriaSetPage]:
        """Every page beside a set, in the order of its buttons and actions."""
        return registry.pages_in_order(PAGES)

    @property
    def actions(self) -> list:  # type: ignore[override]
        return [page.action for page in self.pages() if page.action is not None]

    def get_urls(self):
        def view(page: CriteriaSetPage):
            def page_view(request: HttpRequest, object_id: str) -> HttpResponse:
                return page.view(self, request, object_id)

            return path(
                f"<path:object_id>/{page.name}/",
                self.admin_site.admin_view(page_view),
                name=f"screener_criteriaset_{page.name}",
            )

        return [*(view(page) for page in self.pages()), *super().get_urls()]

    def criteria_set_or_404(self, request: HttpRequest, object_id: str, perm: str) -> CriteriaSet:
        """The set a page names, for a user with ``screener.<perm>_criteriaset`` (else 403)."""
        if not request.user.has_perm(f"screener.{perm}_criteriaset"):
            raise PermissionDenied
        refuse_nul(request)
        return get_object_or_404(
            CriteriaSet.objects.select_related("procedure"), pk=object_pk(object_id)
        )

    def render_page(
        self, request: HttpRequest, template: str, criteria_set: CriteriaSet, title: str, **context
    ) -> TemplateResponse:
        """``templates/admin/screener/criteriaset/<template>.html`` with the admin's context."""
        return TemplateResponse(
            request,
            f"admin/screener/criteriaset/{template}.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": criteria_set,
                "criteria_set": criteria_set,
                "title": title,
                **context,
            },
        )

    def redirect_to_set(self, criteria_set: CriteriaSet) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:screener_criteriaset_change", args=[criteria_set.pk])
        )

    def page_of_selected(self, request: HttpRequest, queryset, page: str):
        """A list action: the page ``page`` of the one set selected (a warning otherwise)."""
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one criteria set.", messages.WARNING)
            return None
        return HttpResponseRedirect(
            reverse(f"admin:screener_criteriaset_{page}", args=[queryset.get().pk])
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            part = self.current_part(request)
            context["part"] = part
            context["parts"] = [(key, label) for key, (label, _inlines) in self.parts.items()]
            context["effects"] = EFFECTS
            context["sections"] = list(
                obj.question_set.order_by("order").values_list("section", flat=True).distinct()
            )
            context["sections"] = list(dict.fromkeys(context["sections"]))
            context["current_effect"] = request.GET.get("effect", "")
            context["current_section"] = request.GET.get("section", "")
            context["set_tools"] = [
                (page.button, reverse(f"admin:screener_criteriaset_{page.name}", args=[obj.pk]))
                for page in self.pages()
                if page.button and page.shown(obj)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)


# ------------------------------------------------------------------------------------------
# The criteria side's own pages beside a set (other apps add theirs: ``screener.hooks``)


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
                format_html(
                    "Not published: {} still has problems.<ul>{}</ul>",
                    criteria_set,
                    format_html_join("", "<li>{}</li>", ((m,) for m in refused.messages)),
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
            f"Retired {criteria_set}: new intakes no longer use it; intakes pinned to it keep "
            "it.",
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


# ------------------------------------------------------------------------------------------
# Parts with their own lists: filters by effect and section, edits checked like the set's


class PartAdmin(QuerySafeAdminMixin, admin.ModelAdmin):
    """A part of a set on its own page: editable only while its set is a draft."""

    list_select_related = ("criteria_set__procedure",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.criteria_set.is_draft:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.criteria_set.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "criteria_set":
            kwargs["queryset"] = CriteriaSet.objects.filter(
                status=CriteriaSetStatus.DRAFT
            ).select_related("procedure")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return ("criteria_set",) if obj is not None else ()

    def _check(self, form, obj: Any) -> None:
        """Whole-set check with this row as edited; errors go on its fields."""
        model = type(obj)
        if model not in KEY_FIELD:
            return
        criteria_set = obj.criteria_set
        rows = [r for r in model.objects.filter(criteria_set=criteria_set) if r.pk != obj.pk]
        problems = validation.draft_problems(criteria_set, {model: [*rows, obj]})
        kind = {v[0]: k for k, v in validation.PROBLEM_KINDS.items()}[model]
        key = getattr(obj, KEY_FIELD[model])
        for problem in problems:
            if problem.kind == kind and problem.code == key:
                form.add_error(
                    problem.field if problem.field in form.fields else None, str(problem)
                )
            else:
                form.add_error(None, f"The set would not check: {problem}")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        admin_self = self

        class CheckedForm(form_class):  # type: ignore[valid-type, misc]
            def _post_clean(self) -> None:
                super()._post_clean()
                if not self.errors and self.instance.criteria_set_id:
                    admin_self._check(self, self.instance)

        return CheckedForm

    def save_model(self, request: HttpRequest, obj: Any, form, change: bool) -> None:
        criteria_set = CriteriaSet.objects.select_related("procedure").get(pk=obj.criteria_set_id)
        before = criteria_set_data(criteria_set)
        super().save_model(request, obj, form, change)
        services.criteria_set_edit_record(
            criteria_set=criteria_set, before=before, user=request.user
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        criteria_set = CriteriaSet.objects.select_related("procedure").get(pk=obj.criteria_set_id)
        before = criteria_set_data(criteria_set)
        super().delete_model(request, obj)
        services.criteria_set_edit_record(
            criteria_set=criteria_set, before=before, user=request.user
        )

    @admin.display(description="criteria set", ordering="criteria_set")
    def set_label(self, obj: Any) -> str:
        return str(obj.criteria_set)


@admin.register(Rule)
class RuleAdmin(PartAdmin):
    form = RuleForm
    list_display = ("code", "effect", "emergency", "condition", "source", "set_label")
    list_filter = ("criteria_set", "effect", "emergency")
    search_fields = ("code", "condition", "message")
    fields = (
        "criteria_set",
        "order",
        "code",
        "effect",
        "emergency",
        "condition",
        "message",
        "source",
    )
    ordering = ("criteria_set", "order", "id")


@admin.register(Question)
class QuestionAdmin(PartAdmin):
    form = QuestionForm
    list_display = ("code", "section", "type", "requirement", "prompt", "set_label")
    list_filter = ("criteria_set", "section", "type", "requirement")
    search_fields = ("code", "prompt")
    ordering = ("criteria_set", "order", "id")


@admin.register(GoldenCase)
class GoldenCaseAdmin(PartAdmin):
    form = GoldenCaseForm
    list_display = ("name", "expected_outcome", "description", "as_of", "set_label")
    list_filter = ("criteria_set", "expected_outcome")
    search_fields = ("name", "description")
    ordering = ("criteria_set", "order", "id")

    def get_fields(self, request: HttpRequest, obj: Any = None):
        return list(GoldenCaseForm.Meta.fields)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        if "criteria_set" in request.GET:
            initial["criteria_set"] = request.GET["criteria_set"]
        return initial


@admin.register(CriteriaChange)
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


@admin.register(CriteriaJob)
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
        report = handler.report(job.result) if job.result and handler else None
        return TemplateResponse(
            request,
            "admin/screener/criteriajob/progress.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": job,
                "job": job,
                "report": report,
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
