"""Criteria sets in Django admin. A published or retired set is shown read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from screener.models import (
    ContentBlock,
    CriteriaSet,
    DerivedValue,
    Parameter,
    Procedure,
    Question,
    Rule,
)


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


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
    fields = (
        "order",
        "code",
        "section",
        "prompt",
        "type",
        "min_value",
        "max_value",
        "choices",
        "blank_choices",
        "requirement",
        "required_when",
        "answer_source",
        "help_text",
    )


class ParameterInline(FrozenWhenPublishedInline):
    model = Parameter
    fields = ("order", "name", "value", "meaning")


class DerivedValueInline(FrozenWhenPublishedInline):
    model = DerivedValue
    fields = ("order", "name", "expression", "meaning")


class RuleInline(FrozenWhenPublishedInline):
    model = Rule
    fields = ("order", "code", "effect", "emergency", "condition", "message", "source")


class ContentBlockInline(FrozenWhenPublishedInline):
    model = ContentBlock
    fields = ("order", "kind", "title", "body")


@admin.register(CriteriaSet)
class CriteriaSetAdmin(admin.ModelAdmin):
    list_display = ("procedure", "version", "status", "published_at", "retired_at")
    list_filter = ("procedure", "status")
    ordering = ("procedure__name", "-version")
    inlines = (
        ParameterInline,
        DerivedValueInline,
        QuestionInline,
        RuleInline,
        ContentBlockInline,
    )
    readonly_fields = ("status", "created_at", "published_at", "retired_at")

    def get_readonly_fields(self, request: HttpRequest, obj: CriteriaSet | None = None):
        if obj is not None and not obj.is_draft:
            return [f.name for f in CriteriaSet._meta.concrete_fields]
        return self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: CriteriaSet | None = None) -> bool:
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj)
