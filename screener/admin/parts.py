"""Parts of a set with their own lists (rules, questions, golden cases): filters by effect and
section, and each edit checked against the whole set as the set's own page checks it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from screener import services, validation
from screener.admin.inlines import PlainNumbersMixin
from screener.admin_params import QuerySafeAdminMixin
from screener.forms import GoldenCaseForm, QuestionForm, RuleForm
from screener.labels import outcome_text
from screener.models import CriteriaSet, CriteriaSetStatus, GoldenCase
from screener.transfer import criteria_set_data


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

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)

        class CheckedForm(form_class):  # type: ignore[valid-type, misc]
            """Checked against the whole set with this row as edited (``validation``)."""

            def _post_clean(self) -> None:
                super()._post_clean()
                if self.errors or not self.instance.criteria_set_id:
                    return
                for error in validation.row_edit_errors(self.instance):
                    field = error.field if error.field in self.fields else None
                    self.add_error(field, error.message)

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


class RuleAdmin(PartAdmin):
    form = RuleForm
    list_display = ("code", "effect", "emergency", "condition", "source", "set_label")
    list_filter = ("criteria_set", "effect", "emergency")
    search_fields = ("code", "condition", "message")
    fields = tuple(RuleForm.Meta.fields)
    ordering = ("criteria_set", "order", "id")


class QuestionAdmin(PlainNumbersMixin, PartAdmin):
    form = QuestionForm
    list_display = ("code", "section", "type", "requirement", "prompt", "set_label")
    list_filter = ("criteria_set", "section", "type", "requirement")
    search_fields = ("code", "prompt")
    ordering = ("criteria_set", "order", "id")


class GoldenCaseAdmin(PartAdmin):
    form = GoldenCaseForm
    list_display = ("name", "expected", "description", "as_of", "set_label")
    list_filter = ("criteria_set", "expected_outcome")
    search_fields = ("name", "description")
    ordering = ("criteria_set", "order", "id")

    def get_fields(self, request: HttpRequest, obj: Any = None):
        return list(GoldenCaseForm.Meta.fields)

    @admin.display(description="expected outcome", ordering="expected_outcome")
    def expected(self, case: GoldenCase) -> str:
        return outcome_text(case.expected_outcome)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        if "criteria_set" in request.GET:
            initial["criteria_set"] = request.GET["criteria_set"]
        return initial
