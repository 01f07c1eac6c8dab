"""Races on PostgreSQL: criteria admins creating, cloning and importing versions of one
procedure at the same moment each get their own version number (the procedure's row lock),
never the unique-constraint error of two equal ones (SQLite serialises writes anyway)."""

from __future__ import annotations

import time

import pytest

from screener import selectors
from screener.models import CriteriaSet
from screener.services import criteria_set_clone, criteria_set_create, criteria_set_import
from screener.transfer import criteria_set_data
from tests.concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,  # row locks; see tests/conftest.py
]


@pytest.fixture
def slow_version(monkeypatch):
    """Hold the next version a while before it is written, so the writers really overlap:
    without the lock each would read the same number."""
    real = selectors.next_version

    def slow(procedure):
        version = real(procedure)
        time.sleep(0.3)
        return version

    monkeypatch.setattr(selectors, "next_version", slow)


def test_two_sets_created_at_once_get_different_versions(default_set, slow_version):
    procedure = default_set.procedure

    def create():
        return criteria_set_create(procedure=procedure)

    results = run_together(create, create)
    assert [type(r).__name__ for r in results] == ["CriteriaSet", "CriteriaSet"]
    assert sorted(r.version for r in results) == [2, 3]
    assert sorted(
        CriteriaSet.objects.filter(procedure=procedure).values_list("version", flat=True)
    ) == [1, 2, 3]


def test_create_clone_and_import_at_once_get_different_versions(default_set, slow_version):
    data = criteria_set_data(default_set)
    results = run_together(
        lambda: criteria_set_create(procedure=default_set.procedure),
        lambda: criteria_set_clone(criteria_set=default_set),
        lambda: criteria_set_import(data=data),
    )
    assert [type(r).__name__ for r in results] == ["CriteriaSet"] * 3
    assert sorted(r.version for r in results) == [2, 3, 4]
