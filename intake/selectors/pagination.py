"""A paginator for lists that grow to millions of rows (the patient list, the
needs-information list, the audit report): its count stays cheap however long the list."""

from __future__ import annotations

import json
from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Rows counted exactly; past this a list says "about N" (PostgreSQL's planner estimate).
EXACT_COUNT_LIMIT = 10_000


class BoundedCountPaginator(Paginator):
    """Counts at most EXACT_COUNT_LIMIT + 1 rows; beyond that uses the planner's estimate
    (PostgreSQL; SQLite has none and says "about EXACT_COUNT_LIMIT + 1") and sets
    ``estimated``, so a page of a million-row list never counts a million rows.

    An estimate may be short of the real number: then a page past it is still read (a
    bookmarked ``?page=N`` keeps working) and a full last page offers a next one.
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

    def validate_number(self, number: Any) -> int:
        try:
            return super().validate_number(number)
        except EmptyPage:
            page = int(number)  # the parent has checked it is a whole number
            if self.estimated and page >= 1:
                return page  # past the estimate: read it, it may be empty
            raise

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        if not self.estimated:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)

    def _get_page(self, *args: Any, **kwargs: Any) -> Page:
        return BoundedCountPage(*args, **kwargs)


class BoundedCountPage(Page):
    paginator: BoundedCountPaginator

    def has_next(self) -> bool:
        paginator = self.paginator
        if paginator.estimated and self.number >= paginator.num_pages:
            # At or past the estimated last page: a full page may have more after it.
            return len(self) == paginator.per_page
        return super().has_next()


def planner_estimate(rows: QuerySet) -> int:
    """PostgreSQL's estimate of the number of rows of a queryset (0 on other databases)."""
    if connections[rows.db].vendor != "postgresql":
        return 0
    plan = json.loads(rows.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])
