"""Whole-set checks of an edit (``screener.validation``), called as the admin calls them but with
no request: formsets of a draft's parts, or one row edited on its own page."""

from __future__ import annotations

import pytest
from django.forms import inlineformset_factory

from screener.forms import ContentBlockForm, RuleForm
from screener.models import ContentBlock, CriteriaSet, GoldenCase, Parameter, Rule
from screener.services import criteria_set_clone
from screener.validation import RowError, draft_formsets_check, row_edit_errors

pytestmark = pytest.mark.django_db

RULE_FIELDS = ["order", "code", "effect", "emergency", "condition", "message", "source"]
UNKNOWN_AGE = "Rule rf_minor: unknown name 'age'"


@pytest.fixture
def draft(default_set) -> CriteriaSet:
    return criteria_set_clone(criteria_set=default_set)


def rule_formset(draft: CriteriaSet, queryset=None, **changes: dict[str, str]):
    """The rules' inline formset as the admin posts it, with ``changes`` by rule code."""
    formset_class = inlineformset_factory(
        CriteriaSet, Rule, form=RuleForm, fields=RULE_FIELDS, extra=0, can_delete=True
    )
    queryset = queryset if queryset is not None else draft.rule_set.order_by("order", "id")
    shown = formset_class(instance=draft, queryset=queryset)
    data = {
        f"{shown.prefix}-TOTAL_FORMS": str(len(shown.forms)),
        f"{shown.prefix}-INITIAL_FORMS": str(len(shown.forms)),
    }
    for form in shown.forms:
        values = {name: form[name].value() for name in [*RULE_FIELDS, "id"]}
        values |= changes.get(form.instance.code, {})
        for name, value in values.items():
            if isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
            elif value is not None:
                data[form.add_prefix(name)] = str(value)
    return formset_class(data, instance=draft, queryset=queryset)


def test_a_set_that_checks_has_no_problems(draft):
    check = draft_formsets_check(draft, [rule_formset(draft)])
    assert (check.problems, check.on_rows, check.elsewhere) == ([], [], [])


def test_a_problem_goes_on_the_row_and_field_it_names(draft):
    formset = rule_formset(draft, rf_minor={"condition": "age < 18"})
    check = draft_formsets_check(draft, [formset])
    assert [str(p).startswith(UNKNOWN_AGE) for p in check.problems] == [True]
    [(form, error)] = check.on_rows
    assert form.instance.code == "rf_minor"
    assert error == RowError("condition", str(check.problems[0]))
    assert check.elsewhere == []
    assert not form.errors.get("condition")  # placed, not applied: the admin shows it


def test_a_problem_of_a_row_not_among_the_forms_is_elsewhere(draft):
    """The rules page filtered by effect: a stored rule outside it is still checked."""
    Rule.objects.filter(criteria_set=draft, code="rf_minor").update(condition="age < 18")
    shown = draft.rule_set.exclude(code="rf_minor").order_by("order", "id")
    check = draft_formsets_check(draft, [rule_formset(draft, queryset=shown)])
    assert check.on_rows == []
    assert [line.startswith(UNKNOWN_AGE) for line in check.elsewhere] == [True]


def test_a_deleted_row_is_left_out_of_the_set_checked(draft):
    """Deleting the parameter a rule reads would break the rule: the rule's row says so."""
    used = "nrs_outpatient_min"
    formset_class = inlineformset_factory(
        CriteriaSet, Parameter, fields=["order", "name", "value"], extra=0, can_delete=True
    )
    shown = formset_class(instance=draft, queryset=draft.parameter_set.order_by("order", "id"))
    data = {
        f"{shown.prefix}-TOTAL_FORMS": str(len(shown.forms)),
        f"{shown.prefix}-INITIAL_FORMS": str(len(shown.forms)),
    }
    for form in shown.forms:
        for name in ("order", "name", "value", "id"):
            data[form.add_prefix(name)] = str(form[name].value())
        if form.instance.name == used:
            data[form.add_prefix("DELETE")] = "on"
    formset = formset_class(data, instance=draft, queryset=shown.queryset)
    check = draft_formsets_check(draft, [formset])
    assert check.problems
    assert all(f"unknown name '{used}'" in str(p) for p in check.problems)
    assert check.on_rows == []  # the rules are not on this page
    assert len(check.elsewhere) == len(check.problems)


def test_formsets_without_expressions_or_with_their_own_errors_are_not_checked(draft):
    Rule.objects.filter(criteria_set=draft, code="rf_minor").update(condition="age < 18")
    content_class = inlineformset_factory(
        CriteriaSet, ContentBlock, form=ContentBlockForm, fields=["order"], extra=0
    )
    content = content_class(
        {"contentblock_set-TOTAL_FORMS": "0", "contentblock_set-INITIAL_FORMS": "0"},
        instance=draft,
        queryset=ContentBlock.objects.none(),
    )
    assert draft_formsets_check(draft, [content]).problems == []
    invalid = rule_formset(draft, rf_minor={"effect": "not-an-effect"})
    assert draft_formsets_check(draft, [invalid]).problems == []


def test_a_row_edited_alone_gets_its_own_problems_on_its_fields(draft):
    rule = draft.rule_set.get(code="rf_minor")
    rule.condition = "age < 18"
    [error] = row_edit_errors(rule)
    assert error.field == "condition"
    assert error.message.startswith(UNKNOWN_AGE)
    assert Rule.objects.get(pk=rule.pk).condition == "age_years < 18"  # nothing stored


def test_a_row_edit_that_breaks_other_rows_is_an_error_of_the_whole_row(draft):
    parameter = draft.parameter_set.get(name="nrs_outpatient_min")
    parameter.name = "nrs_minimum"
    errors = row_edit_errors(parameter)
    assert errors
    assert {error.field for error in errors} == {None}
    assert all(
        e.message.startswith("The set would not check: ")
        and "unknown name 'nrs_outpatient_min'" in e.message
        for e in errors
    )
    assert "The set would not check: Rule pw_outpatient_findings: unknown name" in "\n".join(
        e.message for e in errors
    )


def test_rows_without_expressions_and_sets_that_check_give_no_row_errors(draft):
    assert row_edit_errors(draft.rule_set.get(code="rf_minor")) == []
    assert row_edit_errors(GoldenCase.objects.filter(criteria_set=draft).first()) == []
