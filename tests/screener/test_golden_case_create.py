"""``services.golden_case_create``: a new golden case at the end of a draft's cases, named
uniquely, recorded in the change log; refused for a published set."""

from __future__ import annotations

import datetime

import pytest

from screener import services
from screener.models import CriteriaChange, GoldenCase
from screener.services import criteria_set_clone

pytestmark = pytest.mark.django_db

CASE = {
    "as_of": datetime.date(2025, 3, 14),
    "answers": {"age_years": 70, "hospitalized": False},
    "expected_outcome": "needs_info",
    "expected_holding": [],
    "expected_missing": None,
}


def test_the_case_goes_last_under_a_free_name_and_is_logged(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    last = draft.goldencase_set.order_by("-order").first()
    first = services.golden_case_create(criteria_set=draft, name="by-hand", **CASE)
    second = services.golden_case_create(criteria_set=draft, name="by-hand", **CASE)
    assert (first.name, second.name) == ("by-hand", "by-hand-2")
    assert (first.order, second.order) == (last.order + 10, last.order + 20)
    stored = GoldenCase.objects.get(pk=first.pk)
    assert (stored.answers, stored.expected_missing) == (CASE["answers"], None)
    assert CriteriaChange.objects.filter(criteria_set=draft, summary__contains="by-hand-2")


def test_a_long_taken_name_stays_within_80_characters(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    name = "x" * 80
    services.golden_case_create(criteria_set=draft, name=name, **CASE)
    again = services.golden_case_create(criteria_set=draft, name=name, **CASE)
    assert again.name == "x" * 78 + "-2"


def test_a_published_set_takes_no_golden_case(default_set):
    count = GoldenCase.objects.count()
    with pytest.raises(services.GoldenCaseRefused) as refused:
        services.golden_case_create(criteria_set=default_set, name="late", **CASE)
    assert refused.value.message == (
        "vertebroplasty v1 is published: golden cases are added to a draft; clone it first."
    )
    assert GoldenCase.objects.count() == count
