"""Re-screening open intakes under a newly published criteria set.

Open intakes (submitted or information requested: no final decision) pinned to an older version
of the same procedure each get a new Screening (kind ``rescreen``, with the same content
``screening_record`` would store) under the new version, with the original screening date, and
move to it. Drafts and decided intakes are never touched.

Idempotent and safe to interrupt: the work is committed in batches, each intake re-screened and
moved in the same transaction; the batch's intakes are locked and filtered again inside it, so a
second (or concurrent) run finds nothing left to do. A caller that must count exactly across
interrupted runs (a background job) adds each batch's counts inside the batch's transaction
(``on_batch``) and records the change-log entry itself from its totals (``record_change``).

Built for volume: ids first, then per batch one locked bulk read of the rows, the set compiled
once, the screenings written together (on PostgreSQL one COPY, fed by worker processes with
``workers``: ``intake.rescreen.bulk``; elsewhere ``bulk_create``) and one UPDATE of the batch's
intakes (see ``_move_intakes``). ``full_clean`` is not called per screening (it would query
every foreign key); the content comes from the engine exactly as ``screening_record`` stores
it.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from intake.models import Intake, Screening, ScreeningKind
from intake.outcomes import OUTCOME_LABELS
from intake.rescreen import selectors
from intake.rescreen.bulk import (
    Screened,
    ScreeningPool,
    lz4_toast_compression_set,
    screen_rows_for_copy,
    screenings_copy,
)
from intake.rescreen.impact import ImpactReport, ImpactTally, screen_row
from intake.rescreen.selectors import IntakeRow
from intake.services.emergencies import emergency_still_open
from screener import adapters
from screener.models import CriteriaChangeAction, CriteriaSet
from screener.selectors import older_set_ids
from screener.services import criteria_change_record

BATCH_SIZE = 1000

Progress = Callable[[int, int, ImpactTally], None]


@dataclass(frozen=True)
class BatchCounts:
    """What one batch moved: intakes, (from, to) outcome changes, and intakes moved with
    answers the set no longer accepts."""

    moved: int
    changes: Counter[tuple[str, str]]
    dropped_answers: int


BatchDone = Callable[[BatchCounts], None]


def rescreen_reason(target: CriteriaSet, old_version: int) -> str:
    return (
        f"Criteria changed: re-screened under {target.procedure.slug} v{target.version} "
        f"(was v{old_version}), with the original screening date."
    )


def intakes_rescreen(
    *,
    target: CriteriaSet,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    on_batch: BatchDone | None = None,
    record_change: bool = True,
    workers: int = 1,
) -> ImpactReport:
    """Re-screen every open intake pinned to an older version of ``target``'s procedure.

    With ``dry_run`` nothing is written and the report says what would change. Returns the
    same report as the impact preview (outcome changes, rules flipped per changed case), for
    this run. ``on_batch`` is called inside each batch's transaction with what it moved (an
    exception there rolls the batch back). Without ``record_change`` the caller writes the
    change-log entry (``rescreen_change_record``).

    With ``workers`` above one (on PostgreSQL) the engine runs in that many forked processes
    (``bulk.ScreeningPool``): only from a process with a single thread, such as a management
    command.
    """
    compiled = adapters.compiled_criteria(target)
    fills = adapters.app_filled_questions(target)
    set_ids = older_set_ids(target)
    ids = list(
        selectors.open_intakes_to_rescreen(target, set_ids)
        .order_by("id")
        .values_list("id", flat=True)
    )
    total = len(ids)
    tally = ImpactTally(target)
    if progress:
        progress(0, total, tally)
    done = 0
    parallel = not dry_run and connection.vendor == "postgresql" and total > 1
    with ScreeningPool(compiled, fills, workers if parallel else 1) as pool:
        for start in range(0, total, batch_size):
            batch = ids[start : start + batch_size]
            if dry_run:
                rows = selectors.intake_rows(
                    selectors.open_intakes_to_rescreen(target, set_ids).filter(pk__in=batch)
                )
                for row in rows:
                    result, _screened, invalid = screen_row(compiled, row, fills)
                    tally.add(row, result, invalid)
            else:
                _rescreen_batch(
                    target=target,
                    compiled=compiled,
                    set_ids=set_ids,
                    batch=batch,
                    user=user,
                    tally=tally,
                    on_batch=on_batch,
                    pool=pool,
                )
            done += len(batch)
            if progress:
                progress(done, total, tally)
    report = tally.report(selectors.earlier_rule_results)
    if not dry_run and record_change and report.evaluated:
        rescreen_change_record(target=target, report=report, user=user)
    return report


def rescreen_change_record(
    *, target: CriteriaSet, report: ImpactReport, user: AbstractBaseUser | None = None
) -> None:
    """The change-log entry of a re-screen: how many intakes moved, how many changed outcome."""
    criteria_change_record(
        criteria_set=target,
        action=CriteriaChangeAction.RESCREENED,
        summary=(
            f"Re-screened {report.evaluated:,} open intakes onto {target}; "
            f"{report.changed:,} changed outcome"
        ),
        details=[
            f"{OUTCOME_LABELS.get(a, a)} -> {OUTCOME_LABELS.get(b, b)}: {n}"
            for a, b, n in report.changes
        ],
        user=user,
    )


@transaction.atomic
def _rescreen_batch(
    *,
    target: CriteriaSet,
    compiled,
    set_ids: list[int],
    batch: list[int],
    user: AbstractBaseUser | None,
    tally: ImpactTally,
    on_batch: BatchDone | None = None,
    pool: ScreeningPool | None = None,
) -> None:
    """One batch in one transaction: every intake in it is re-screened and moved, or none."""
    # Locked and filtered again: an intake decided or moved since the ids were read is skipped.
    locked = (
        selectors.open_intakes_to_rescreen(target, set_ids)
        .filter(pk__in=batch)
        .select_for_update(of=("self",))
        .order_by("id")
    )
    rows = selectors.intake_rows(locked)
    if not rows:
        return
    now = timezone.now()
    created_by = user if user is not None and user.is_authenticated else None
    counts_before = (Counter(tally.counts), tally.dropped_answers)
    if connection.vendor == "postgresql":
        lz4_toast_compression_set()
        moves = _screenings_copy(
            target=target,
            compiled=compiled,
            rows=rows,
            created_by=created_by,
            tally=tally,
            now=now,
            pool=pool,
        )
    else:
        moves = _screenings_bulk_create(
            target=target, compiled=compiled, rows=rows, created_by=created_by, tally=tally
        )
    _move_intakes(target=target, moves=moves, now=now)
    if on_batch is not None:
        changes, dropped = counts_before
        on_batch(
            BatchCounts(
                moved=len(moves),
                changes=tally.counts - changes,
                dropped_answers=tally.dropped_answers - dropped,
            )
        )


class _Move(NamedTuple):
    """An intake pointed at its new screening, with that screening's outcome."""

    intake_id: int
    screening_id: int
    outcome: str
    emergency: bool


def _screenings_copy(
    *,
    target: CriteriaSet,
    compiled,
    rows: list[IntakeRow],
    created_by: AbstractBaseUser | None,
    tally: ImpactTally,
    now,
    pool: ScreeningPool | None,
) -> list[_Move]:
    """The batch's screenings on PostgreSQL: screened (across processes with a ``pool``) and
    written with one COPY as they come (``intake.rescreen.bulk``)."""
    if pool is None:
        screened: Iterable[Screened] = screen_rows_for_copy(
            compiled, rows, adapters.app_filled_questions(target)
        )
    else:
        screened = pool.screen(rows)
    done: list[Screened] = []

    def tallied() -> Iterator[tuple[Screened, str, datetime.date]]:
        for row, item in zip(rows, screened, strict=True):
            tally.add(row, item.result, item.invalid)
            done.append(item)
            yield item, rescreen_reason(target, row.version), row.as_of

    ids = screenings_copy(
        screened=tallied(),
        count=len(rows),
        criteria_set_id=target.pk,
        kind=ScreeningKind.RESCREEN,
        created_at=now,
        created_by_id=created_by.pk if created_by is not None else None,
    )
    return [
        _Move(item.intake_id, pk, item.outcome, item.emergency)
        for item, pk in zip(done, ids, strict=True)
    ]


def _screenings_bulk_create(
    *,
    target: CriteriaSet,
    compiled,
    rows: list[IntakeRow],
    created_by: AbstractBaseUser | None,
    tally: ImpactTally,
) -> list[_Move]:
    """The batch's screenings on other databases (SQLite in development): ``bulk_create``."""
    screenings = []
    for row in rows:
        result, screened, invalid = screen_row(compiled, row, adapters.app_filled_questions(target))
        tally.add(row, result, invalid)
        screenings.append(
            Screening(
                intake_id=row.intake_id,
                criteria_set=target,
                kind=ScreeningKind.RESCREEN,
                reason=rescreen_reason(target, row.version),
                as_of=row.as_of,
                answers=screened,
                **adapters.stored_result(result),
                created_by=created_by,
            )
        )
    Screening.objects.bulk_create(screenings, batch_size=500)
    return [_Move(s.intake_id, s.pk, s.outcome, s.emergency) for s in screenings]


def _move_intakes(*, target: CriteriaSet, moves: list[_Move], now) -> None:
    """Point each intake at its new screening and pin it to ``target``, for a whole batch.

    On PostgreSQL one UPDATE joined to the (intake, screening, outcome, emergency) arrays: a
    join on the primary key whatever the statistics say (a correlated subquery was planned as
    a scan of every new screening per intake right after a large insert). ``bulk_update``'s
    CASE per row, resolved in Python, was measured several times slower, so it is only the
    fallback for other databases (SQLite in development and tests).
    """
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Intake._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS i SET criteria_set_id = %s, latest_screening_id = v.sid, "
                "outcome = v.outcome, emergency = v.emergency, updated_at = %s, "
                # As emergency_still_open: a new emergency opens, a handled one stays closed.
                "emergency_open = v.emergency AND (i.emergency_open OR NOT i.emergency), "
                # A form opened before the move is stale: its save is refused, not mixed in.
                "version = i.version + 1 "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::boolean[]) "
                "AS v(iid, sid, outcome, emergency) WHERE i.id = v.iid",
                [
                    target.pk,
                    now,
                    [m.intake_id for m in moves],
                    [m.screening_id for m in moves],
                    [m.outcome for m in moves],
                    [m.emergency for m in moves],
                ],
            )
        return
    ids = [m.intake_id for m in moves]
    before = {
        pk: (emergency, was_open)
        for pk, emergency, was_open in Intake.objects.filter(pk__in=ids).values_list(
            "pk", "emergency", "emergency_open"
        )
    }
    Intake.objects.bulk_update(
        [
            Intake(
                pk=m.intake_id,
                criteria_set_id=target.pk,
                latest_screening_id=m.screening_id,
                outcome=m.outcome,
                emergency=m.emergency,
                emergency_open=emergency_still_open(
                    was_emergency=before[m.intake_id][0],
                    was_open=before[m.intake_id][1],
                    now_emergency=m.emergency,
                ),
                updated_at=now,
            )
            for m in moves
        ],
        [
            "criteria_set",
            "latest_screening",
            "outcome",
            "emergency",
            "emergency_open",
            "updated_at",
        ],
        batch_size=250,
    )
    Intake.objects.filter(pk__in=ids).update(version=F("version") + 1)
