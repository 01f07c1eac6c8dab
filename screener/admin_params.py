"""What an admin URL may carry: integer ids, query strings without NUL, plausible date filters.

Django's own admin views turn a bad id into "not found" and a bad list filter into an error
page; the project's own pages (golden cases, impact, publish, ..., a job's progress) and a few
list parameters reach the database or the calendar first. Each bad value here is a 404, a 400
or a filter dropped with a message: never a server error.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect

# An object id as the admin writes it: ASCII digits, short enough for a 64-bit integer.
OBJECT_ID = re.compile(r"[0-9]{1,18}")

# Years a date filter of a list (``?at__year=``) can name.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100

NUL_REFUSED = "Bad request: the address holds a NUL character (%00), which no page uses."


def object_pk(object_id: str) -> int:
    """The integer id of an admin URL; 404 for anything else (``abc``, ``1e3``, ``²``, ...)."""
    text = unquote(object_id)
    if not OBJECT_ID.fullmatch(text):
        raise Http404("No such object: its id is not a number.")
    return int(text)


def refuse_nul(request: HttpRequest) -> None:
    """400 when a query-string name or value holds NUL: PostgreSQL text cannot hold it, so a
    filter such as ``?section=a%00b`` would otherwise fail in the database."""
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            raise BadRequest(NUL_REFUSED)


class QuerySafeAdminMixin:
    """A ModelAdmin whose list, form, history and delete pages refuse a NUL in the query."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        refuse_nul(request)
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refuse_nul(request)
        return super().changeform_view(request, *args, **kwargs)  # type: ignore[misc]

    def history_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refuse_nul(request)
        return super().history_view(request, *args, **kwargs)  # type: ignore[misc]

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refuse_nul(request)
        return super().delete_view(request, *args, **kwargs)  # type: ignore[misc]


def _shown(text: str) -> str:
    return f"'{text}'" if len(text) <= 12 else f"'{text[:12]}…'"


def date_filter_problem(params: Any, field: str) -> str:
    """Why the list's date filter on ``field`` names no plausible day ("" when it is fine)."""
    parts: dict[str, int] = {}
    for part in ("year", "month", "day"):
        values = params.getlist(f"{field}__{part}")
        if not values:
            continue
        text = values[-1]  # the value Django's date hierarchy reads
        if not re.fullmatch(r"[0-9]{1,4}", text):
            return f"{_shown(text)} is not a {part}."
        parts[part] = int(text)
    if not parts:
        return ""
    year = parts.get("year")
    if year is None:
        return "a month or a day needs a year."
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        return f"{year} is not a year from {EARLIEST_YEAR} to {LATEST_YEAR}."
    try:
        datetime.date(year, parts.get("month", 1), parts.get("day", 1))
    except ValueError:
        return "that day does not exist."
    return ""


class DateFilterBoundsMixin:
    """A ModelAdmin with a ``date_hierarchy`` whose list drops an implausible date filter
    (``?at__year=99999``, a 13th month) with a message, instead of failing on it."""

    date_hierarchy: str | None

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        field = self.date_hierarchy
        problem = date_filter_problem(request.GET, field) if field else ""
        if problem:
            params = request.GET.copy()
            for part in ("year", "month", "day"):
                params.pop(f"{field}__{part}", None)
            messages.warning(request, f"The date filter was ignored: {problem}")
            query = params.urlencode()
            return HttpResponseRedirect(request.path + (f"?{query}" if query else ""))
        return super().changelist_view(request, extra_context)  # type: ignore[misc]
