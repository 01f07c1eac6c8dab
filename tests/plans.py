"""What PostgreSQL's planner can do with a list's query: for the tests that pin an index to
the query it was made for (a test table is too small for the planner to prefer it unasked)."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet


def plan_when_indexes_are_all_it_has(queryset: QuerySet) -> str:
    """The query's plan (EXPLAIN text) with sequential scans, bitmap scans and sorts turned
    off for the rest of the test's transaction: a plan that still sorts, or does not name the
    index, shows the index cannot give these rows in this order."""
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
    return queryset.explain()
