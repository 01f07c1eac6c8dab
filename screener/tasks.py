"""Background tasks (django-tasks): impact previews over many intakes, and re-screens.

Each task runs a ``CriteriaJob`` created by the admin, writing its progress there for the
progress page. With the database backend a worker (``manage.py db_worker``) runs them; tests
use the immediate backend, which runs them at once.
"""

from __future__ import annotations

import logging

from django_tasks import task

from screener import engine, services
from screener.impact import impact_preview
from screener.models import CriteriaJob

logger = logging.getLogger(__name__)


def _run(job_id: int, work) -> None:
    job = services.criteria_job_start(job_id=job_id)
    if job is None or job.finished:
        return

    def progress(done: int, total: int, tally) -> None:
        services.criteria_job_progress(job_id=job_id, done=done, total=total, tally=tally)

    try:
        report = work(job, progress)
    except engine.CriteriaInvalid as exc:
        services.criteria_job_fail(job_id=job_id, error=f"The criteria set has errors: {exc}")
        return
    except Exception as exc:
        # The log names the job and the error type only: never answers or patient data.
        logger.exception("criteria job %s failed", job_id)
        services.criteria_job_fail(
            job_id=job_id, error=f"Stopped by an error: {type(exc).__name__}"
        )
        raise
    services.criteria_job_finish(job_id=job_id, result=report.as_dict())


def _impact(job: CriteriaJob, progress):
    return impact_preview(criteria_set=job.criteria_set, limit=job.limit or 500, progress=progress)


def _rescreen(job: CriteriaJob, progress):
    from intake.services.rescreen import intakes_rescreen

    return intakes_rescreen(target=job.criteria_set, user=job.created_by, progress=progress)


@task()
def impact_preview_task(job_id: int) -> None:
    """Impact preview of a draft over ``job.limit`` submitted intakes."""
    _run(job_id, _impact)


@task()
def rescreen_task(job_id: int) -> None:
    """Re-screen the open intakes of older versions under ``job.criteria_set``."""
    _run(job_id, _rescreen)
