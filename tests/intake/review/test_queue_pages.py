"""The queue's pages: next and previous continue from an intake's place in the order (keyset),
a bare page number (a bookmark, the last page) skips ids only, both give the same rows; the
order is read from an index on PostgreSQL (no sort)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake.selectors import queue as queue_selectors
from intake.views import review as review_views
from tests.factories import PhysicianFactory
from tests.intake.review.factories import submitted_intake

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)
QUEUE = reverse("review:queue")
SIZE = 3


def ago(hours: int) -> datetime.datetime:
    return NOW - datetime.timedelta(hours=hours)


@pytest.fixture
def doc(client):
    user = PhysicianFactory()
    client.force_login(user)
    return user


@pytest.fixture
def queue(default_set) -> list[int]:
    """Fourteen cases over four ranks, some submitted at the same moment (the id decides)."""
    plan = [
        ("emergency", 5),
        ("urgent", 7),
        ("urgent", 7),
        ("urgent", 2),
        ("candidate", 30),
        ("candidate", 30),
        ("candidate", 30),
        ("candidate", 4),
        ("candidate", 1),
        ("conservative", 9),
        ("conservative", 9),
        ("conservative", 8),
        ("contraindicated", 3),
        ("contraindicated", 2),
    ]
    for outcome, hours in reversed(plan):  # ids out of queue order
        submitted_intake(outcome=outcome, submitted_at=ago(hours))
    filters = queue_selectors.QueueFilters()
    ordered = queue_selectors.queue_intakes(filters=filters, user=PhysicianFactory(), now=NOW)
    return list(ordered.values_list("id", flat=True))


def page(intakes, total: int, **kwargs) -> queue_selectors.QueuePage:
    return queue_selectors.queue_page(intakes, total=total, size=SIZE, **kwargs)


def test_keyset_pages_equal_numbered_pages_across_outcomes(doc, queue):
    """Walking forward by cursor, then back, gives each page the offset page's rows."""
    intakes = queue_selectors.queue_intakes(
        filters=queue_selectors.QueueFilters(), user=doc, now=NOW
    )
    total = len(queue)
    pages = [queue[i : i + SIZE] for i in range(0, total, SIZE)]
    assert len(pages) == 5
    for number, expected in enumerate(pages, 1):
        numbered = page(intakes, total, number=number)
        assert [i.pk for i in numbered.intakes] == expected
        assert (numbered.has_previous, numbered.has_next) == (number > 1, number < 5)

    current = page(intakes, total)
    for number in range(2, 6):
        current = page(intakes, total, number=number, after=current.last_id)
        assert current.number == number
        assert [i.pk for i in current.intakes] == pages[number - 1]
    assert current.has_next is False
    for number in range(4, 1, -1):
        current = page(intakes, total, number=number, before=current.first_id)
        assert [i.pk for i in current.intakes] == pages[number - 1]
        assert current.has_previous and current.has_next


def test_a_cursor_that_is_gone_or_wrong_falls_back_to_the_page_number(doc, queue):
    intakes = queue_selectors.queue_intakes(
        filters=queue_selectors.QueueFilters(), user=doc, now=NOW
    )
    second = queue[SIZE : 2 * SIZE]
    assert [i.pk for i in page(intakes, 14, number=2, after=10**9).intakes] == second
    # Fewer cases before the cursor than a page: the queue moved, its first page is shown.
    early = page(intakes, 14, number=3, before=queue[1])
    assert (early.number, [i.pk for i in early.intakes]) == (1, queue[:SIZE])
    # Past the end: the last page, as Django's paginator does.
    assert [i.pk for i in page(intakes, 14, number=99).intakes] == queue[12:]


def _links(response) -> dict[str, str]:
    """The pagination links by their text, as the browser would follow them."""
    found = re.findall(
        r'<a class="page-link"[^>]*href="([^"]+)">(\w+)</a>', response.content.decode()
    )
    return {text: href.replace("&amp;", "&") for href, text in found}


def test_the_page_links_carry_an_intake_id_and_the_page_number_only(
    client, doc, queue, monkeypatch
):
    monkeypatch.setattr(review_views, "PAGE_SIZE", SIZE)
    first = client.get(QUEUE)
    assert "Page 1 of 5 (14 cases)" in first.content.decode()
    links = _links(first)
    assert links == {
        "Next": f"{QUEUE}?page=2&after={queue[SIZE - 1]}",
        "Last": f"{QUEUE}?page=5",
    }
    seen = [row.intake_id for row in first.context["rows"]]
    response = first
    for number in range(2, 6):
        response = client.get(_links(response)["Next"])
        assert f"Page {number} of 5 (14 cases)" in response.content.decode()
        seen += [row.intake_id for row in response.context["rows"]]
    assert seen == queue
    assert set(_links(response)) == {"First", "Previous"}
    back = client.get(_links(response)["Previous"])
    assert _links(response)["Previous"] == f"{QUEUE}?page=4&before={queue[12]}"
    assert [row.intake_id for row in back.context["rows"]] == queue[9:12]
    assert _links(client.get(f"{QUEUE}?page=2"))["Previous"] == f"{QUEUE}?page=1"


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_deep_pages_cost_the_same_queries_whatever_the_number_of_cases(
    client, doc, default_set, monkeypatch
):
    """A numbered page: the ids, then their rows; a cursor page: the cursor's key, then the
    rows. One query more than the first page each, at any depth and queue size."""
    monkeypatch.setattr(review_views, "PAGE_SIZE", SIZE)
    counts = []
    for total in (8, 20):
        while (
            len(
                queue_selectors.queue_intakes(
                    filters=queue_selectors.QueueFilters(), user=doc, now=NOW
                )
            )
            < total
        ):
            submitted_intake(outcome="candidate", submitted_at=ago(total))
        last_id = queue_selectors.queue_intakes(
            filters=queue_selectors.QueueFilters(), user=doc, now=NOW
        ).values_list("id", flat=True)[SIZE]
        counts.append(
            (
                _queries(client, QUEUE),
                _queries(client, f"{QUEUE}?page=3"),
                _queries(client, f"{QUEUE}?page=3&after={last_id}"),
            )
        )
    first = counts[0][0]
    assert counts[0] == counts[1] == (first, first + 1, first + 1)


# ------------------------------------------------------------------------------------------
# PostgreSQL: the order comes from an index (no Sort node), for every shape of the queue


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # The test table is tiny: make scans and sorts dear so the plan shows what an index
        # can give, as at 20,000 rows (docs/benchmarks.md) without seeding them here.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    ("filters", "indexes"),
    [
        ({}, {"intake_queue_rank_idx"}),
        # Either index gives this order (the second filters the status from the row); on a
        # small table the planner may take either, at scale the first.
        ({"outcome": "candidate"}, {"intake_queue_outcome_idx", "intake_queue_all_outcome_idx"}),
        ({"status": "all"}, {"intake_queue_all_idx"}),
        ({"status": "all", "outcome": "candidate"}, {"intake_queue_all_outcome_idx"}),
        ({"status": "decided"}, {"intake_queue_rank_idx"}),
    ],
)
def test_the_queue_is_read_in_index_order(doc, queue, filters, indexes):
    intakes = queue_selectors.queue_intakes(
        filters=queue_selectors.QueueFilters(**filters), user=doc, now=NOW
    )
    first_page = _plan(intakes[:25])
    ids_at_an_offset = _plan(intakes.values_list("id", flat=True)[100:125])
    key = intakes.values_list(*queue_selectors.QUEUE_KEY).first() or (2, NOW, 1)
    after = _plan(queue_selectors.intakes_after(intakes, key)[:26])
    before = _plan(queue_selectors.intakes_before(intakes, key)[:25])
    for plan in (first_page, ids_at_an_offset, after, before):
        assert "Sort" not in plan, plan
        assert any(f"using {index} on" in plan for index in indexes), plan
    if indexes == {"intake_queue_outcome_idx", "intake_queue_all_outcome_idx"}:
        return  # the second index reads the status from the row
    (index,) = indexes
    assert f"Index Only Scan using {index}" in ids_at_an_offset
    assert "ROW(queue_rank, submitted_at, id) >" in after
    assert "Index Scan Backward" in before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_on_sqlite_a_cursor_page_is_an_index_range_too(doc, queue):
    """Django sends tuple comparisons to SQLite as ORs; the queue sends a row comparison,
    which SQLite reads as a range of the index (no scan from the start, no sort)."""
    intakes = queue_selectors.queue_intakes(
        filters=queue_selectors.QueueFilters(), user=doc, now=NOW
    )
    key = intakes.values_list(*queue_selectors.QUEUE_KEY)[5]
    for keyset, sign in (
        (queue_selectors.intakes_after(intakes, key)[:26], ">"),
        (queue_selectors.intakes_before(intakes, key)[:25], "<"),
    ):
        sql, params = keyset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(row[-1] for row in cursor.fetchall())
        assert "USING INDEX intake_queue_rank_idx (status=? AND (queue_rank," in plan, plan
        assert f"(queue_rank,submitted_at){sign}(" in plan, plan
        assert "TEMP B-TREE" not in plan, plan


def test_large_page_numbers_and_totals_are_grouped_in_thousands(rf):
    """ "Page 1,751 of 1,751 (43,766 cases)", not a run of digits to count."""
    from types import SimpleNamespace

    from django.template.loader import render_to_string

    page = SimpleNamespace(
        num_pages=1751,
        number=1751,
        count=43766,
        has_previous=True,
        has_next=False,
        previous_page_number=1750,
        first_id=9,
    )
    html = render_to_string(
        "review/_queue_pagination.html", {"page": page}, request=rf.get("/review/")
    )
    assert "Page 1,751 of 1,751 (43,766 cases)" in html
