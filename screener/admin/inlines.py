"""The inlines of a criteria set's page: its parts, editable while it is a draft and read-only
once published or retired, and a summary of its golden cases (each is edited on its own page).
The change log's inline is in ``records``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.text import capfirst

from screener import engine
from screener.admin.records import ReadOnlyAdmin
from screener.forms import (
    CodingRowForm,
    ContentBlockForm,
    DiagnosisCodeForm,
    PlainNumberInput,
    QuestionForm,
    RuleForm,
)
from screener.labels import outcome_text
from screener.models import (
    CodingRow,
    ContentBlock,
    CriteriaSet,
    DerivedValue,
    DiagnosisCode,
    FollowUpVisit,
    GoldenCase,
    Parameter,
    Question,
    Rule,
    plain_number,
)

EFFECTS = [e.value for e in engine.Effect]


class PlainNumbersMixin:
    """A part's decimal fields (a parameter's value, a question's bounds) shown as typed:
    ``50``, ``1.5``. In their inputs through the widget; read-only (a published set, a
    view-only user) through ``<field>_shown``, as the admin would show ``50.0000``."""

    formfield_overrides = {models.DecimalField: {"widget": PlainNumberInput}}
    shown_numbers = {"value": "value_shown", "min_value": "min_shown", "max_value": "max_shown"}

    def get_fields(self, request: HttpRequest, obj: Any = None):
        fields = super().get_fields(request, obj)  # type: ignore[misc]
        if self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            return fields
        decimals = self._decimal_fields()

        def shown(name: str) -> str:
            return self.shown_numbers[name] if name in decimals else name

        # A tuple is fields stacked in one cell. dict: Django's own get_fields may list the
        # read-only names already.
        return list(
            dict.fromkeys(
                tuple(shown(f) for f in line) if isinstance(line, list | tuple) else shown(line)
                for line in fields
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        readonly = tuple(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            return readonly
        return (*readonly, *(self.shown_numbers[f] for f in self._decimal_fields()))

    def _decimal_fields(self) -> set[str]:
        return {
            f.name
            for f in self.model._meta.concrete_fields  # type: ignore[attr-defined]
            if isinstance(f, models.DecimalField) and f.name in self.shown_numbers
        }

    @admin.display(description="value")
    def value_shown(self, obj: Any) -> str:
        return plain_number(obj.value)

    @admin.display(description="min value")
    def min_shown(self, obj: Any) -> str:
        return plain_number(obj.min_value) or "-"

    @admin.display(description="max value")
    def max_shown(self, obj: Any) -> str:
        return plain_number(obj.max_value) or "-"


class RowLabelledFormSet(BaseInlineFormSet):
    """A part's rows, each input named for its column and its row ("Condition of rule
    <code>", "Delete rule <code>"): in a table the column's header is not the label of
    the inputs under it, and without a name a screen reader announces a bare "edit text"."""

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)
        row = self.row_name(form)
        for name, field in form.fields.items():
            if field.widget.is_hidden:
                continue
            if name == "DELETE":
                field.widget.attrs["aria-label"] = f"Delete {row}"
            else:
                field.widget.attrs["aria-label"] = f"{capfirst(field.label or name)} of {row}"

    def row_name(self, form: forms.BaseForm) -> str:
        """The row as its heading shows it, after the kind of row: "rule <code>"; a row
        not saved yet is "new rule"."""
        kind = self.model._meta.verbose_name
        instance = form.instance  # type: ignore[attr-defined]
        return f"{kind} {instance}" if instance.pk is not None else f"new {kind}"


class FrozenWhenPublishedInline(admin.TabularInline):
    """Inline rows of a set: editable on a draft, read-only once published or retired.

    Shown as a table whose cells may hold several fields, one above the other (a tuple in
    ``fields``), each with its own label: a part with many fields fits the screen without
    scrolling sideways (``templates/admin/screener/edit_inline/tabular.html``)."""

    extra = 0
    show_change_link = False
    formset = RowLabelledFormSet
    template = "admin/screener/edit_inline/tabular.html"

    def _frozen(self, obj: CriteriaSet | None) -> bool:
        return obj is not None and not obj.is_draft

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class QuestionInline(PlainNumbersMixin, FrozenWhenPublishedInline):
    model = Question
    form = QuestionForm
    # Sixteen columns cannot fit a screen: related fields share a cell, one above the other.
    fields = (
        "order",
        ("code", "section"),
        ("prompt", "label", "help_text"),
        ("type", "min_value", "max_value"),
        ("choices", "blank_choices"),
        ("requirement", "required_when"),
        ("answer_source", "filled_from"),
        ("patient_prompt", "patient_prompt_es"),
        ("section_es", "choice_labels_es"),
    )

    def get_queryset(self, request: HttpRequest):
        section = request.GET.get("section")
        queryset = super().get_queryset(request)
        return queryset.filter(section=section) if section else queryset


class ParameterInline(PlainNumbersMixin, FrozenWhenPublishedInline):
    model = Parameter
    fields = ("order", "name", "value", "label", "meaning")


class DerivedValueInline(FrozenWhenPublishedInline):
    model = DerivedValue
    fields = ("order", "name", "expression", "weeks_since", "label", "meaning")


class RuleInline(FrozenWhenPublishedInline):
    model = Rule
    form = RuleForm
    # Fields that go together share a cell, one above the other: the emergency with the effect
    # (red flags only), the payer's citation with the source, and the payer's coverage criterion
    # in one column, so that the condition and the message keep their width.
    fields = (
        "order",
        "code",
        ("effect", "emergency"),
        "condition",
        "message",
        ("source", "payer_citation"),
        ("coverage_criterion", "coverage_group", "payer_wording"),
    )

    def get_queryset(self, request: HttpRequest):
        effect = request.GET.get("effect")
        queryset = super().get_queryset(request)
        return queryset.filter(effect=effect) if effect in EFFECTS else queryset


class CodingRowInline(FrozenWhenPublishedInline):
    model = CodingRow
    form = CodingRowForm
    fields = (
        "order",
        ("technique", "technique_label"),
        "region",
        "levels",
        ("primary_code", "addon_code"),
        "cap_parameter",
    )


class DiagnosisCodeInline(FrozenWhenPublishedInline):
    model = DiagnosisCode
    form = DiagnosisCodeForm
    fields = ("order", "code", "description", "applies_when")


class FollowUpVisitInline(FrozenWhenPublishedInline):
    model = FollowUpVisit
    fields = ("order", "label", "days", "months")


class ContentBlockInline(FrozenWhenPublishedInline):
    model = ContentBlock
    form = ContentBlockForm
    fields = (
        "order",
        ("kind", "title"),
        "body",
        "title_es",
        "body_es",
        ("readers", "shown_with"),
    )


class GoldenCaseInline(ReadOnlyAdmin, admin.TabularInline):
    """A summary; each case is edited on its own page (its answers are long)."""

    model = GoldenCase
    extra = 0
    fields = ("order", "name", "description", "expected", "expected_holding", "as_of")
    readonly_fields = fields
    show_change_link = True
    template = FrozenWhenPublishedInline.template  # no empty header cell (the change link's)
    verbose_name_plural = "golden cases (edit each on its own page; run them with the button)"

    @admin.display(description="expected outcome")
    def expected(self, case: GoldenCase) -> str:
        return outcome_text(case.expected_outcome)
