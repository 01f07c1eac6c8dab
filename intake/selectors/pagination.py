"""A paginator for lists that grow to millions of rows (the patient list, the
needs-information list, the audit report): its count stays cheap however long the list."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Rows counted exactly; past this a list says "about N" (PostgreSQL's planner estimate).
EXACT_COUNT_LIMIT = 10_000


class BoundedCountPaginator(Paginator):
    """Counts at most EXACT_COUNT_LIMIT + 1 rows; beyond that uses the planner's estimate
    (PostgreSQL; SQLite has none and says "about EXACT_COUNT_LIMIT + 1") and sets
    ``estimated``, so a page of a million-row list never counts a million rows.

    Pages past an estimate that is too high come out empty; pages past one too low are not
    offered (``get_page`` shows the last page it knows). Both only on lists that long.
    """

    estimated = False

    @cached_property
    def count(self) -> int:
        rows = self.object_list.order_by()
        bounded = rows[: EXACT_COUNT_LIMIT + 1].count()
        if bounded <= EXACT_COUNT_LIMIT:
            return bounded
        self.estimated = True
        return max(bounded, planner_estimate(rows))


def planner_estimate(rows: QuerySet) -> int:
    """PostgreSQL's estimate of the number of rows of a queryset (0 on other databases)."""
    if connections[rows.db].vendor != "postgresql":
        return 0
    plan = json.loads(rows.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])
