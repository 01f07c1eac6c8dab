"""The inlines of a criteria set's page: its parts, editable while it is a draft and read-only
once published or retired, and a summary of its golden cases (each is edited on its own page).
The change log's inline is in ``records``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from screener import engine
from screener.admin.records import ReadOnlyAdmin
from screener.forms import CodingRowForm, ContentBlockForm, QuestionForm, RuleForm
from screener.models import (
    CodingRow,
    ContentBlock,
    CriteriaSet,
    DerivedValue,
    FollowUpVisit,
    GoldenCase,
    Parameter,
    Question,
    Rule,
)

EFFECTS = [e.value for e in engine.Effect]


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
    fields = ("order", "name", "expression", "weeks_since", "label", "meaning")


class RuleInline(FrozenWhenPublishedInline):
    model = Rule
    form = RuleForm
    fields = ("order", "code", "effect", "emergency", "condition", "message", "source")

    def get_queryset(self, request: HttpRequest):
        effect = request.GET.get("effect")
        queryset = super().get_queryset(request)
        return queryset.filter(effect=effect) if effect in EFFECTS else queryset


class CodingRowInline(FrozenWhenPublishedInline):
    model = CodingRow
    form = CodingRowForm
    fields = tuple(name for name in CodingRowForm.Meta.fields if name != "criteria_set")


class FollowUpVisitInline(FrozenWhenPublishedInline):
    model = FollowUpVisit
    fields = ("order", "label", "days", "months")


class ContentBlockInline(FrozenWhenPublishedInline):
    model = ContentBlock
    form = ContentBlockForm
    fields = tuple(name for name in ContentBlockForm.Meta.fields if name != "criteria_set")


class GoldenCaseInline(ReadOnlyAdmin, admin.TabularInline):
    """A summary; each case is edited on its own page (its answers are long)."""

    model = GoldenCase
    extra = 0
    fields = ("order", "name", "description", "expected_outcome", "expected_holding", "as_of")
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "golden cases (edit each on its own page; run them with the button)"
