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

    estimated = False  # the count is not exact
    at_least = False  # ... nor even an estimate: only more than EXACT_COUNT_LIMIT (SQLite)

    @cached_property
    def count(self) -> int:
        rows = self.object_list.order_by()
        bounded = rows[: EXACT_COUNT_LIMIT + 1].count()
        if bounded <= EXACT_COUNT_LIMIT:
            return bounded
        self.estimated = True
        estimate = planner_estimate(rows)
        self.at_least = estimate <= bounded
        return max(bounded, estimate)

    @property
    def count_text(self) -> str:
        """The count as a list states it: "1,234", "about 20,000", "more than 10,000"."""
        if self.at_least:
            return f"more than {EXACT_COUNT_LIMIT:,}"
        return f"about {self.count:,}" if self.estimated else f"{self.count:,}"

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

    @property
    def label(self) -> str:
        """ "Page 3 of 12", "Page 3 of about 801", or "Page 3" when the number of pages is
        not known (a count that is only a lower bound, or a page past the estimate)."""
        paginator = self.paginator
        if not paginator.estimated:
            return f"Page {self.number:,} of {paginator.num_pages:,}"
        if paginator.at_least or self.number > paginator.num_pages:
            return f"Page {self.number:,}"
        return f"Page {self.number:,} of about {paginator.num_pages:,}"

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
