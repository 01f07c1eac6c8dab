"""The bounded count of long lists (patients, needs information, the audit report): exact up
to EXACT_COUNT_LIMIT, then the planner's estimate, said "about"."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake.models import Patient
from intake.selectors import pagination
from intake.selectors.pagination import BoundedCountPaginator
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_a_short_list_is_counted_exactly(monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 5)
    PatientFactory.create_batch(5)
    paginator = BoundedCountPaginator(Patient.objects.order_by("id"), 2)
    assert (paginator.count, paginator.estimated, paginator.num_pages) == (5, False, 3)
    assert (paginator.count_text, paginator.page(2).label) == ("5", "Page 2 of 3")


def test_a_long_list_counts_no_further_than_the_limit(monkeypatch):
    """Past the limit no query counts the whole table; the count is an estimate at least
    the limit + 1 (SQLite has no estimate: exactly that)."""
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    PatientFactory.create_batch(6)
    paginator = BoundedCountPaginator(Patient.objects.order_by("id"), 2)
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 4" in counts[0]
    assert paginator.estimated is True
    if connection.vendor == "postgresql":
        assert count >= 4
    else:
        assert count == 4


@pytest.mark.postgres_only
def test_past_the_limit_postgresql_gives_its_planners_estimate(monkeypatch):
    """After ANALYZE the planner knows the table: its estimate is the number of rows."""
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    PatientFactory.create_batch(40)
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{Patient._meta.db_table}"')
    paginator = BoundedCountPaginator(Patient.objects.order_by("last_name", "id"), 25)
    assert (paginator.count, paginator.estimated, paginator.num_pages) == (40, True, 2)
    assert (paginator.count_text, paginator.page(1).label) == ("about 40", "Page 1 of about 2")
    assert [p.pk for p in paginator.page(2).object_list] == list(
        Patient.objects.order_by("last_name", "id").values_list("pk", flat=True)[25:]
    )


def test_pages_past_a_short_estimate_are_still_read(monkeypatch):
    """A bookmarked deep page works even when the estimate says the list is shorter."""
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr(pagination, "planner_estimate", lambda rows: 0)
    patients = [p.pk for p in PatientFactory.create_batch(9)]
    paginator = BoundedCountPaginator(Patient.objects.order_by("id"), 2)
    assert (paginator.count, paginator.num_pages) == (4, 2)
    second, fourth, fifth = (paginator.get_page(n) for n in (2, 4, 5))
    assert [p.pk for p in fourth] == patients[6:8]
    assert [p.pk for p in fifth] == patients[8:]
    assert (second.has_next(), fourth.has_next(), fifth.has_next()) == (True, True, False)
    assert list(paginator.get_page(6)) == []
    assert (paginator.count_text, fourth.label) == ("more than 3", "Page 4")
