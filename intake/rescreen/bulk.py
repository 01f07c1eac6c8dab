"""The re-screen's hot path at volume: screenings encoded once as COPY rows, and the engine run
across processes.

At 100,000 open intakes the re-screen's time was Python's, not the database's: per intake about
0.4 ms of typing and screening, 0.55 ms building the stored rule results as dicts
(``adapters.stored_rule_results``: 49 rules, eight keys and the values each) and as much again
for Django and psycopg to quote those dicts into one INSERT. Here:

- ``screening_copy_fields`` writes a screening's JSON as text directly: each rule's constant
  parts (code, effect, message, source, emergency) encoded once per rule and reused, only what
  varies (holds, needs, values) encoded per intake. The text parses to exactly what
  ``adapters.stored_result`` returns (a test holds them equal over generated cases).
- ``screenings_copy`` writes them with PostgreSQL's ``COPY`` (ids taken from the sequence
  first, as the seeding does): no SQL text to build or to parse.
- ``ScreeningPool`` screens a batch's rows in worker processes (forked, so they inherit the
  compiled set and never touch the parent's database connection): the engine runs on every
  core while the batch's rows stay locked in the parent's transaction, and the COPY takes the
  rows as they come back.
- ``lz4_toast_compression_set`` has the server compress the large JSON with lz4 in the
  re-screen's transactions (pglz took 0.5 ms a screening, lz4 0.2 ms).

Nothing here decides anything: the outcome and the stored content are the engine's, exactly as
``intake.services.screenings.screening_record`` stores them.
"""

from __future__ import annotations

import datetime
import json
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, NamedTuple, Protocol

from django.db import connection

from intake.models import Screening
from intake.rescreen.impact import screen_row
from intake.rescreen.selectors import IntakeRow
from screener import engine

# -------------------------------------------------------------------------------------------
# A screening's stored JSON as text

_dumps = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode


def _date_iso(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# Values a rule read: dates as ISO text; NaN is refused here and taken by the slow path.
_dumps_values = json.JSONEncoder(allow_nan=False, separators=(",", ":"), default=_date_iso).encode

# (code, effect, message, source, emergency) of a rule -> its JSON before "holds", between
# "holds" and "needs", between "needs" and "values", and after "values".
_rule_parts: dict[tuple, tuple[str, str, str]] = {}


def _parts(rule: engine.RuleResult) -> tuple[str, str, str]:
    key = (rule.code, rule.effect, rule.message, rule.source, rule.emergency)
    parts = _rule_parts.get(key)
    if parts is None:
        parts = (
            f'{{"code":{_dumps(rule.code)},"effect":{_dumps(str(rule.effect))},"holds":',
            f',"message":{_dumps(rule.message)},"source":{_dumps(rule.source)},"values":',
            f',"emergency":{"true" if rule.emergency else "false"}}}',
        )
        if len(_rule_parts) > 10_000:  # many sets in one process: start again
            _rule_parts.clear()
        _rule_parts[key] = parts
    return parts


def _values_json(values: tuple[tuple[str, Any], ...]) -> str:
    if not values:
        return "[]"
    try:
        return _dumps_values(values)  # tuples encode as arrays: [[name, value], ...]
    except ValueError:  # a NaN (a blank derived value): null, as ``engine.json_value`` says
        return _dumps([[name, engine.json_value(value)] for name, value in values])


def rule_results_json(result: engine.ScreeningResult) -> str:
    """``adapters.stored_rule_results(result)`` as JSON text, built without the dicts."""
    chunks = []
    for rule in result.rules:
        head, middle, tail = _parts(rule)
        chunks.append(
            f"{head}{'true' if rule.holds else 'false'},"
            f'"needs":{_dumps(rule.needs) if rule.needs else "[]"}'
            f"{middle}{_values_json(rule.values)}{tail}"
        )
    return "[" + ",".join(chunks) + "]"


# -------------------------------------------------------------------------------------------
# COPY rows


def _copy_text(value: str) -> str:
    """A value in COPY's text format: backslash, tab, newline and carriage return escaped."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


class Screened(NamedTuple):
    """One intake screened for the re-screen: what the batch writes and what its tally reads.

    ``fields`` are the screening's COPY columns that come from the engine (``SCREENED_COLUMNS``),
    already in COPY's text format. ``result`` is what ``ImpactTally.add`` reads: the outcome,
    and the rules only when the outcome changed (the report lists the rules that flipped).
    """

    intake_id: int
    outcome: str
    emergency: bool
    fields: str
    result: TallyResult
    invalid: dict[str, str]


class TallyRule(NamedTuple):
    code: str
    holds: bool
    message: str


class TallyResult(NamedTuple):
    outcome: str
    rules: tuple[TallyRule, ...]


# The columns ``Screened.fields`` holds, in order.
SCREENED_COLUMNS = (
    "answers",
    "outcome",
    "emergency",
    "missing",
    "rule_results",
    "suggested_codes",
    "deciding",
    "key_reason",
)


def screening_copy_fields(result: engine.ScreeningResult, screened: dict[str, Any]) -> str:
    """The ``SCREENED_COLUMNS`` of a screening, tab-separated in COPY's text format: the same
    values ``adapters.stored_result`` and ``adapters.stored_answers`` give."""
    return "\t".join(
        (
            _copy_text(_dumps(screened)),
            _copy_text(str(result.outcome)),
            "t" if result.emergency else "f",
            _copy_text(_dumps(result.missing)),
            _copy_text(rule_results_json(result)),
            _copy_text(_dumps(result.suggested_codes)),
            _copy_text(_dumps(result.deciding)),
            _copy_text(result.key_reason),
        )
    )


def screen_rows_for_copy(
    compiled: engine.CompiledCriteria, rows: Iterable[IntakeRow], fills: Mapping[str, str]
) -> list[Screened]:
    """Screen rows as ``impact.screen_row`` does; each with its COPY fields."""
    found = []
    for row in rows:
        result, screened, invalid = screen_row(compiled, row, fills)
        outcome = str(result.outcome)
        rules = (
            ()
            if outcome == row.outcome
            else tuple(TallyRule(r.code, r.holds, r.message) for r in result.rules)
        )
        found.append(
            Screened(
                row.intake_id,
                outcome,
                result.emergency,
                screening_copy_fields(result, screened),
                TallyResult(outcome, rules),
                invalid,
            )
        )
    return found


# Every column of a screening, in the order the COPYs below write them.
SCREENING_COLUMNS = (
    "id",
    "intake_id",
    "criteria_set_id",
    "kind",
    "reason",
    "as_of",
    *SCREENED_COLUMNS,
    "created_at",
    "created_by_id",
)


def _screening_lines_copy(
    count: int, lines: Callable[[list[int]], Iterable[str]], ids: list[int] | None = None
) -> list[int]:
    """Take ``count`` ids from the screenings' sequence (unless given) and ``COPY`` the lines
    ``lines(ids)`` yields (each a row of ``SCREENING_COLUMNS`` in COPY's text format), sent in
    chunks as they come; returns the ids, in order."""
    meta = Screening._meta
    # Every concrete column is written: a new field on Screening must be added here.
    assert {f.column for f in meta.concrete_fields} == set(SCREENING_COLUMNS), (
        "Screening's columns changed"
    )
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [meta.db_table, count],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
        quoted = ", ".join(connection.ops.quote_name(c) for c in SCREENING_COLUMNS)
        with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            chunk = []
            for line in lines(ids):
                chunk.append(line)
                if len(chunk) >= COPY_CHUNK:
                    copy.write("".join(chunk))
                    chunk = []
            if chunk:
                copy.write("".join(chunk))
    return ids


def _created_by(user_id: int | None) -> str:
    return "\\N" if user_id is None else str(user_id)


def screenings_copy(
    *,
    screened: Iterable[tuple[Screened, str, datetime.date]],
    count: int,
    criteria_set_id: int,
    kind: str,
    created_at: datetime.datetime,
    created_by_id: int | None,
) -> list[int]:
    """Insert ``count`` screenings with one ``COPY`` (PostgreSQL only), one per (screened row,
    reason, screening date) that ``screened`` yields; returns their ids, in order.

    The rows are sent as they come: when ``screened`` is being computed by worker processes,
    the database stores the first ones while the workers screen the next.
    """
    head = f"\t{criteria_set_id}\t{_copy_text(kind)}\t"
    tail = f"\t{created_at.isoformat()}\t{_created_by(created_by_id)}\n"
    return _screening_lines_copy(
        count,
        lambda ids: (
            f"{pk}\t{row.intake_id}{head}{_copy_text(reason)}\t{day.isoformat()}\t{row.fields}{tail}"
            for pk, (row, reason, day) in zip(ids, screened, strict=True)
        ),
    )


class ScreeningToCopy(Protocol):
    """A screening written by ``screenings_copy_each``: ``fields`` from
    ``screening_copy_fields``."""

    intake_id: int
    kind: str
    reason: str
    as_of: datetime.date
    created_at: datetime.datetime
    fields: str


def screenings_copy_each(
    rows: Sequence[ScreeningToCopy],
    *,
    criteria_set_id: int,
    created_by_id: int | None,
    ids: list[int] | None = None,
) -> list[int]:
    """Insert ``rows`` with one ``COPY`` (PostgreSQL only), each with its own intake, kind,
    reason, date and time (the benchmark seeding's screenings), with ``ids`` (taken from the
    sequence if not given); returns their ids, in order."""
    head = f"\t{criteria_set_id}\t"
    tail = f"\t{_created_by(created_by_id)}\n"
    return _screening_lines_copy(
        len(rows),
        lambda ids: (
            f"{pk}\t{row.intake_id}{head}{_copy_text(row.kind)}\t{_copy_text(row.reason)}\t"
            f"{row.as_of.isoformat()}\t{row.fields}\t{row.created_at.isoformat()}{tail}"
            for pk, row in zip(ids, rows, strict=True)
        ),
        ids,
    )


_lz4: dict[str, bool] = {}  # database alias -> whether the server compresses with lz4


def lz4_toast_compression_set() -> None:
    """In the current transaction, have PostgreSQL compress large values with lz4 rather than
    its default pglz, where the server was built with lz4 (PostgreSQL 14 and later).

    A screening's rule results (about 7 kB stored) are compressed on insert: measured on this
    project's 100,000-intake database, 0.5 ms a row with pglz against 0.2 ms with lz4, for the
    same size. Only this transaction's writes are affected; values compressed either way are
    read the same (each value records its method).
    """
    alias = connection.alias
    if alias not in _lz4:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                "WHERE name = 'default_toast_compression'"
            )
            found = cursor.fetchone()
        _lz4[alias] = bool(found and found[0])
    if _lz4[alias]:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL default_toast_compression = 'lz4'")


# -------------------------------------------------------------------------------------------
# The engine across processes

# Rows sent to the database together, and screened by a worker together: small enough that
# the database and the workers take turns often within a batch.
COPY_CHUNK = 50

# What the forked workers screen with, set before the fork (a compiled set holds code objects,
# which do not pickle).
_worker_criteria: tuple[engine.CompiledCriteria, Mapping[str, str]] | None = None


def _worker_start() -> None:
    # Ctrl-C reaches the whole process group: the command stops its workers itself (the pool is
    # shut down on the way out, after the chunks being screened).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_screen(rows: list[IntakeRow]) -> list[Screened]:
    assert _worker_criteria is not None
    compiled, fills = _worker_criteria
    return screen_rows_for_copy(compiled, rows, fills)


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class ScreeningPool:
    """Screens rows for the COPY in ``workers`` forked processes (in this process for one).

    Use as a context manager. Workers are forked only in a process with one thread (a
    management command); elsewhere the rows are screened in this process. The workers inherit
    the compiled set; they read rows and return ``Screened`` rows, and never use the database
    connection they inherit.
    """

    def __init__(
        self, compiled: engine.CompiledCriteria, fills: Mapping[str, str], workers: int
    ) -> None:
        self.compiled = compiled
        self.fills = fills
        self.workers = workers
        self._pool: Any = None

    def __enter__(self) -> ScreeningPool:
        global _worker_criteria
        # A fork copies only the calling thread: with other threads running (a task worker's
        # heartbeat, a server) the engine stays in this process.
        if self.workers > 1 and threading.active_count() == 1:
            _worker_criteria = (self.compiled, self.fills)
            # Not multiprocessing.Pool: when a worker dies (the OOM killer), its task never
            # ends there and the batch would wait forever holding its rows' locks; here the
            # run stops with BrokenProcessPool and the batch rolls back.
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_worker_start,
            )
        return self

    def __exit__(self, *exc: object) -> None:
        global _worker_criteria
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        _worker_criteria = None

    def screen(self, rows: list[IntakeRow]) -> Iterator[Screened]:
        """The rows screened, in order, as the workers finish them."""
        if self._pool is None or len(rows) < 2:
            yield from screen_rows_for_copy(self.compiled, rows, self.fills)
            return
        chunks = [rows[start : start + COPY_CHUNK] for start in range(0, len(rows), COPY_CHUNK)]
        for chunk in self._pool.map(_worker_screen, chunks):
            yield from chunk
