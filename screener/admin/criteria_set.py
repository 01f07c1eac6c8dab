"""Procedures and criteria sets in admin.

A draft is edited inline (parameters, derived values, questions, rules, content), one group of
parts at a time (``?part=``); saving it checks every expression against the whole set as it
would be after the save, shows each error on its row naming the rule, and stores nothing while
any is left. A published or retired set is shown read-only and cannot be deleted: it can only be
cloned as a new draft or retired. Every change is recorded in the set's change log.

The pages beside a set (their URLs, the buttons on its page and the list's actions) are
``pages.PAGES`` followed by those other apps add through ``screener.hooks``; each page's view
gets this admin for ``criteria_set_or_404``, ``render_page`` and ``redirect_to_set``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from screener import services, validation
from screener.admin.inlines import (
    EFFECTS,
    CodingRowInline,
    ContentBlockInline,
    DerivedValueInline,
    DiagnosisCodeInline,
    FollowUpVisitInline,
    GoldenCaseInline,
    ParameterInline,
    QuestionInline,
    RuleInline,
)
from screener.admin.pages import PAGES, message_with_lines
from screener.admin.records import CriteriaChangeInline
from screener.admin_params import QuerySafeAdminMixin, object_pk, refuse_nul
from screener.hooks import CriteriaSetPage, registry
from screener.models import CriteriaSet, Procedure
from screener.transfer import criteria_set_data


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
        CodingRowInline,
        DiagnosisCodeInline,
        FollowUpVisitInline,
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
        "coding": (
            "Codes and follow-up",
            (CodingRowInline, DiagnosisCodeInline, FollowUpVisitInline),
        ),
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
        fields += ["coding_level_question", "coding_count_question", "codes_note"]
        fields += ["coverage_policy", "coverage_policy_revised"]
        if obj is None:
            fields.remove("version")
            fields.remove("status")
            return fields  # the new set takes its procedure's name (criteria_set_create)
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
            self.check_draft(request, obj, formsets)
        return formsets, inline_instances

    def check_draft(self, request: HttpRequest, criteria_set: CriteriaSet, formsets) -> None:
        """Check the whole set as the formsets would leave it (``validation``): each problem
        goes on the row it names (so nothing is saved) and into one message at the top."""
        check = validation.draft_formsets_check(criteria_set, formsets)
        if not check.problems:
            return
        for form, error in check.on_rows:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        if check.elsewhere:
            # Shown above the first table of the page; its formset is then invalid: nothing saved.
            formset = next(fs for fs in formsets if fs.model in validation.ROW_KEY)
            formset._non_form_errors = formset.error_class(
                [
                    *formset.non_form_errors(),
                    *(
                        f"Not saved: a row not shown here does not check: {line}"
                        for line in check.elsewhere
                    ),
                ],
                error_class="nonform",
            )
        messages.error(
            request,
            message_with_lines(
                f"Nothing was saved: {len(check.problems)} expression problem(s), shown on "
                "their rows.",
                ((str(p),) for p in check.problems),
            ),
        )

    def save_model(self, request: HttpRequest, obj: CriteriaSet, form, change: bool) -> None:
        if not change:  # a new set: the procedure's next version, taken under its lock
            services.criteria_set_create(
                procedure=obj.procedure, created_by=request.user, draft=obj
            )
            return
        stored = CriteriaSet.objects.select_related("procedure").get(pk=obj.pk)
        request._criteria_before = criteria_set_data(stored)  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change:  # a new set's creation is recorded by criteria_set_create
            services.criteria_set_edit_record(
                criteria_set=form.instance,
                before=request._criteria_before,  # type: ignore[attr-defined]
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
