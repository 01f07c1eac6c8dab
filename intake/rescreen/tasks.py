"""The work of the two background job kinds that read intakes: an impact preview over many
intakes, and a re-screen of open intakes.

``screener.tasks`` runs a job (heartbeat, reconnecting, resuming, stopping) and calls the
handler registered for its kind (``intake/rescreen/hooks.py``); these are the handlers. Each
writes its progress through the run and finishes the job with its report.
"""

from __future__ import annotations

import dataclasses

from django.db import transaction

from intake.rescreen.impact import impact_preview
from intake.rescreen.services import (
    BATCH_SIZE,
    BatchCounts,
    intakes_rescreen,
    rescreen_change_record,
)
from screener import services
from screener import tasks as job_runner

# Impact previews of this many intakes at most when a job names no limit.
DEFAULT_PREVIEW_LIMIT = 500


def impact_preview_run(run: job_runner.JobRun) -> None:
    """Impact preview of the job's draft over its ``limit`` submitted intakes (a resumed run
    starts again from the beginning)."""
    job = run.job()
    report = impact_preview(
        criteria_set=job.criteria_set,
        limit=job.limit or DEFAULT_PREVIEW_LIMIT,
        progress=run.progress,
    )
    services.criteria_job_finish(job_id=run.job_id, run=run.number, report=report)


def rescreen_run(run: job_runner.JobRun) -> None:
    """Re-screen the open intakes of older versions under the job's set, continuing where an
    earlier run stopped; the job's counts and its change-log entry cover every run, once."""
    job = run.job()
    moved_before = job.moved  # by earlier runs (and attempts): the page counts on from there

    def progress(done: int, total: int, _tally) -> None:
        run.progress(moved_before + done, moved_before + total)

    def batch_done(counts: BatchCounts) -> None:
        services.criteria_job_batch_done(
            job_id=run.job_id,
            run=run.number,
            moved=counts.moved,
            changes=counts.changes,
            dropped_answers=counts.dropped_answers,
        )

    report = intakes_rescreen(
        target=job.criteria_set,
        user=job.created_by,
        batch_size=job_runner.options.batch_size or BATCH_SIZE,
        progress=progress,
        on_batch=batch_done,
        record_change=False,
    )
    # Done and logged together, from the totals of every run: exactly once, exact counts.
    with transaction.atomic():
        totals = services.criteria_job_lock(job_id=run.job_id, run=run.number)
        report = dataclasses.replace(
            report,
            evaluated=totals.moved,
            changes=[(before, after, n) for before, after, n in totals.outcome_changes],
            changed=sum(n for _before, _after, n in totals.outcome_changes),
            dropped_answers=totals.dropped_answers,
        )
        services.criteria_job_finish(job_id=run.job_id, run=run.number, report=report)
        if report.evaluated:
            rescreen_change_record(target=job.criteria_set, report=report, user=job.created_by)
