"""Parts of a set with their own lists (rules, questions, golden cases): filters by effect and
section, and each edit checked against the whole set as the set's own page checks it.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from screener import services, validation
from screener.admin.inlines import PlainNumbersMixin
from screener.admin_params import OBJECT_ID, QuerySafeAdminMixin
from screener.forms import QuestionForm, RuleForm
from screener.golden_form import GoldenCaseForm
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
    list_display = (
        "code",
        "effect",
        "emergency",
        "condition",
        "source",
        "coverage_criterion",
        "set_label",
    )
    list_filter = ("criteria_set", "effect", "emergency", "coverage_criterion")
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
    """A golden case on its own page: by question for a draft's case (``golden_form``), or its
    answers as JSON text with ``?answers=json`` (and for a new case whose set is not chosen
    yet). The stored JSON is shown read-only below the form by question."""

    form = GoldenCaseForm
    list_display = ("name", "expected", "description", "as_of", "set_label")
    list_filter = ("criteria_set", "expected_outcome")
    search_fields = ("name", "description")
    ordering = ("criteria_set", "order", "id")

    CASE_FIELDS = ["criteria_set", "order", "name", "description", "as_of"]
    EXPECTED_FIELDS = ["expected_outcome", "expected_holding", "check_missing", "expected_missing"]

    def answers_set(self, request: HttpRequest, obj: GoldenCase | None) -> CriteriaSet | None:
        """The draft whose questions the form asks, or None for the JSON form: a published
        set's case (read-only), ``?answers=json``, or a new case without ``?criteria_set=``."""
        if request.GET.get("answers") == "json":
            return None
        if obj is not None:
            return obj.criteria_set if obj.criteria_set.is_draft else None
        text = request.GET.get("criteria_set", "")
        if not OBJECT_ID.fullmatch(text):
            return None
        return (
            CriteriaSet.objects.filter(pk=int(text), status=CriteriaSetStatus.DRAFT)
            .select_related("procedure")
            .first()
        )

    def by_question(self, request: HttpRequest, obj: GoldenCase | None) -> bool:
        allowed = (
            self.has_change_permission(request, obj)
            if obj is not None
            else self.has_add_permission(request)
        )
        return allowed and self.answers_set(request, obj) is not None

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):
        kwargs["fields"] = [
            name
            for name in GoldenCaseForm.Meta.fields
            if name not in self.get_readonly_fields(request, obj)
        ]
        form_class = super().get_form(request, obj, change, **kwargs)
        if not self.by_question(request, obj):
            return form_class
        return form_class.for_set(self.answers_set(request, obj))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        if not self.by_question(request, obj):
            return [(None, {"fields": list(GoldenCaseForm.Meta.fields)})]
        criteria_set = self.answers_set(request, obj)
        assert criteria_set is not None
        sections = GoldenCaseForm.for_set(criteria_set)(instance=obj).question_fieldsets()
        return [
            (None, {"fields": self.CASE_FIELDS}),
            *(
                (f"Answers: {section}", {"fields": names, "classes": ["golden-answers"]})
                for section, names in sections
            ),
            ("Expected result", {"fields": self.EXPECTED_FIELDS}),
            (
                "Answers as JSON (read only)",
                {
                    "fields": ["answers_json"],
                    "description": self.json_link(request, obj),
                },
            ),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "answers_json")

    def json_link(self, request: HttpRequest, obj: GoldenCase | None) -> str:
        query = request.GET.copy()
        query["answers"] = "json"
        return format_html(
            '<span class="golden-json-note">As <code>manage.py screen</code> and the export '
            'read them; the form above writes them. <a href="?{}">Edit the answers as JSON '
            "instead</a>.</span>",
            query.urlencode(),
        )

    @admin.display(description="answers as JSON")
    def answers_json(self, case: GoldenCase) -> str:
        return format_html(
            '<details class="golden-json"><summary>Show the JSON</summary><pre>{}</pre></details>',
            json.dumps(case.answers, indent=2, ensure_ascii=False),
        )

    @admin.display(description="expected outcome", ordering="expected_outcome")
    def expected(self, case: GoldenCase) -> str:
        return outcome_text(case.expected_outcome)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        if "criteria_set" in request.GET:
            initial["criteria_set"] = request.GET["criteria_set"]
        return initial
