"""Creating, cloning, checking and publishing criteria sets."""

from __future__ import annotations

import datetime

import pytest

from screener import adapters
from screener.models import (
    CriteriaChange,
    CriteriaChangeAction,
    CriteriaSet,
    CriteriaSetStatus,
    Parameter,
    Procedure,
    Rule,
)
from screener.selectors import newest_published_set
from screener.services import (
    PublishRefused,
    criteria_set_check,
    criteria_set_clone,
    criteria_set_create,
    criteria_set_publish,
)
from screener.transfer import criteria_set_data
from tests.factories import CriteriaAdminFactory

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


def test_create_makes_an_empty_draft_with_the_next_version_and_logs_it(default_set):
    author = CriteriaAdminFactory()
    created = criteria_set_create(procedure=default_set.procedure, created_by=author)
    created.refresh_from_db()
    assert (created.version, created.status) == (2, CriteriaSetStatus.DRAFT)
    assert created.procedure_name == default_set.procedure.name
    assert created.rule_set.count() == created.question_set.count() == 0
    change = CriteriaChange.objects.get(criteria_set=created)
    assert (change.action, change.summary, change.user) == (
        CriteriaChangeAction.CREATED,
        "Created vertebroplasty v2 as a draft",
        author,
    )


def test_create_keeps_the_fields_of_the_unsaved_set_it_is_given(default_set):
    draft = CriteriaSet(notes="Started from scratch", procedure_name="Vertebral augmentation")
    created = criteria_set_create(procedure=default_set.procedure, draft=draft)
    assert created is draft
    stored = CriteriaSet.objects.get(pk=created.pk)
    assert (stored.notes, stored.procedure_name, stored.version) == (
        "Started from scratch",
        "Vertebral augmentation",
        2,
    )


def test_create_clone_and_import_number_versions_one_after_the_other(default_set):
    """One helper takes the next version for each: numbers follow on whoever wrote last."""
    from screener.services import criteria_set_import

    procedure = default_set.procedure
    assert criteria_set_clone(criteria_set=default_set).version == 2
    assert criteria_set_create(procedure=procedure).version == 3
    assert criteria_set_import(data=criteria_set_data(default_set)).version == 4
    assert criteria_set_create(procedure=procedure).version == 5


def test_create_of_a_procedure_without_sets_is_version_1(db):
    procedure = Procedure.objects.create(slug="kyphoplasty", name="Kyphoplasty")
    assert criteria_set_create(procedure=procedure).version == 1


def test_create_refuses_a_set_already_stored(default_set):
    with pytest.raises(ValueError, match="vertebroplasty v1 is stored already"):
        criteria_set_create(procedure=default_set.procedure, draft=default_set)
    assert CriteriaSet.objects.count() == 1


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
