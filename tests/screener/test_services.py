"""Cloning, checking and publishing criteria sets."""

from __future__ import annotations

import datetime

import pytest

from screener import adapters
from screener.models import CriteriaSetStatus, Parameter, Rule
from screener.selectors import newest_published_set
from screener.services import (
    PublishRefused,
    criteria_set_check,
    criteria_set_clone,
    criteria_set_publish,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)


def _content(criteria_set):
    return {
        "questions": list(
            criteria_set.question_set.values_list("code", "type", "required_when", "order")
        ),
        "parameters": list(criteria_set.parameter_set.values_list("name", "value")),
        "derived": list(criteria_set.derivedvalue_set.values_list("name", "expression")),
        "rules": list(criteria_set.rule_set.values_list("code", "effect", "condition", "message")),
        "content": list(criteria_set.contentblock_set.values_list("kind", "body")),
    }


def test_clone_is_a_full_copy_with_the_next_version(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    assert (draft.version, draft.status) == (2, CriteriaSetStatus.DRAFT)
    assert _content(draft) == _content(default_set)
    assert len(_content(draft)["rules"]) == 49


def test_a_clean_draft_publishes_and_becomes_the_newest(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    published = criteria_set_publish(criteria_set=draft, now=NOW)
    assert (published.status, published.published_at) == (CriteriaSetStatus.PUBLISHED, NOW)
    assert newest_published_set(default_set.procedure) == published
    default_set.refresh_from_db()
    assert default_set.status == CriteriaSetStatus.PUBLISHED  # publishing retires nothing


def test_publish_refuses_invalid_expressions_naming_each_rule(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    Rule.objects.filter(criteria_set=draft, code="rf_minor").update(condition="age < 18")
    Rule.objects.filter(criteria_set=draft, code="ca_improving").update(
        condition="pain_trend == 'better'"
    )
    with pytest.raises(PublishRefused) as excinfo:
        criteria_set_publish(criteria_set=draft)
    assert excinfo.value.messages == [
        "Rule rf_minor: unknown name 'age' (not a question, parameter or derived value)",
        "Rule ca_improving: 'better' is not a choice of pain_trend (worsening, stable, improving)",
    ]
    draft.refresh_from_db()
    assert draft.status == CriteriaSetStatus.DRAFT


def test_publish_refuses_a_set_already_published(default_set):
    with pytest.raises(PublishRefused, match="already published"):
        criteria_set_publish(criteria_set=default_set)


def test_check_of_the_default_set_is_clean(default_set):
    assert criteria_set_check(default_set) == []


def test_a_changed_parameter_changes_the_screening_of_the_draft_only(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    Parameter.objects.filter(criteria_set=draft, name="nrs_inpatient_min").update(value=10)
    assert adapters.compiled_criteria(draft).parameters["nrs_inpatient_min"] == 10
    assert adapters.compiled_criteria(default_set).parameters["nrs_inpatient_min"] == 8
