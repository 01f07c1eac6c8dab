"""Background tasks (django-tasks): the runner of criteria jobs (``CriteriaJob``).

Each task runs one run of a ``CriteriaJob`` created by the admin, writing its progress there for
the progress page. The work of each job kind (an impact preview over many intakes, a re-screen)
is not here: the app that adds the kind registers it (``screener.hooks``, filled by
``intake/rescreen/hooks.py``), and the run calls the handler registered for the job's kind. With
the database backend a worker (``manage.py run_worker``) runs them; tests use the immediate
backend, which runs them at once.

What keeps a job going through faults (see ``CriteriaJob``):

- The run beats (``heartbeat_at``) with every progress write and re-screen batch, and from a
  thread with its own connection every quarter of ``CRITERIA_JOB_STALL_SECONDS`` between them
  (one batch, or the query of a large preview, can take longer than that).
- A database error (a restart, a dropped connection) does not end the run: it reconnects with
  back-off and runs the work again, which continues where it stopped (a re-screen skips the
  intakes already moved; a preview starts again). After ``DATABASE_ATTEMPTS`` it gives up and
  the job stalls.
- A job whose worker died (killed, or gave up) stalls: no heartbeat for
  ``CRITERIA_JOB_STALL_SECONDS``. ``criteria_job_resume`` queues it again as its next run: the
  progress page's Resume button, and every worker (``criteria_jobs_resume_stalled``, up to
  ``AUTOMATIC_RUNS`` runs of a job).
- A worker asked to stop gives its job back at the next batch (queued again with a new task),
  so that the next worker continues it at once.

Logs name the job, its run and the type of an error only: never answers or patient data (an
exception's message can quote a row).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import Error, InterfaceError, OperationalError, connections, transaction
from django.utils import timezone
from django_tasks import task

from screener import engine, services
from screener.hooks import registry
from screener.models import CriteriaJob, CriteriaJobKind

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Attempts of one run through database errors (back-off 1, 2, 4 ... 60 s: about 2 minutes).
DATABASE_ATTEMPTS = 8
# Runs of one job after which workers no longer resume it by themselves (a job that kills its
# worker every time would otherwise loop); the Resume button still does.
AUTOMATIC_RUNS = 5


@dataclass
class JobOptions:
    """How this process runs jobs (``run_worker --batch-size --batch-pause``)."""

    batch_size: int | None = None  # re-screen batch; None: the service's default
    batch_pause: float = 0.0  # seconds to wait after each committed batch (throttle)


options = JobOptions()
_stopping = threading.Event()
_sleep = time.sleep  # tests replace it


def request_stop() -> None:
    """Ask the running job (if any) to give itself back at its next batch: the worker stops."""
    _stopping.set()


class WorkerStopping(Exception):
    """The worker is stopping: the job is given back, to be resumed by the next worker."""


def stall_seconds() -> float:
    return float(settings.CRITERIA_JOB_STALL_SECONDS)


def heartbeat_seconds() -> float:
    return stall_seconds() / 4


@dataclass(frozen=True)
class JobRun:
    """One run of a job: it may write the job only while the job's ``runs`` is its number."""

    job_id: int
    number: int

    def job(self) -> CriteriaJob:
        return CriteriaJob.objects.select_related("criteria_set__procedure", "created_by").get(
            pk=self.job_id
        )

    def beat(self) -> bool:
        return services.criteria_job_heartbeat(job_id=self.job_id, run=self.number)

    def progress(self, done: int, total: int, tally=None) -> None:
        """A batch is committed: show it, pause (``--batch-pause``), stop if the worker stops."""
        services.criteria_job_progress(
            job_id=self.job_id, run=self.number, done=done, total=total, tally=tally
        )
        if done >= total:
            return
        if options.batch_pause and done:
            _sleep(options.batch_pause)
        if _stopping.is_set():
            raise WorkerStopping


class Heartbeat(threading.Thread):
    """Calls ``beat`` every ``interval`` seconds, in its own database connection, until
    stopped or until ``beat`` returns False (the run no longer owns its job)."""

    def __init__(self, beat: Callable[[], bool], interval: float, name: str = "heartbeat"):
        super().__init__(name=name, daemon=True)
        self._beat = beat
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            while not self._stop_event.wait(self.interval):
                try:
                    if not self._beat():
                        return
                except Error as exc:
                    logger.warning("%s: database error (%s)", self.name, type(exc).__name__)
                    close_connections()
        finally:
            close_connections()  # this thread's own

    def stop(self) -> None:
        self._stop_event.set()
        # Not forever: a beat waiting for a row lock held by the caller ends after it commits.
        self.join(timeout=10)


def close_connections() -> None:
    """Drop this thread's connections (Django opens a new one at the next query)."""
    for conn in connections.all(initialized_only=True):
        with contextlib.suppress(Error):
            conn.close()


def _run(job_id: int) -> None:
    """One run of the job: the handler registered for its kind, through faults (see above)."""
    job = _reconnecting(f"criteria job {job_id}", services.criteria_job_start, job_id=job_id)
    if job is None:  # gone, finished, or running under another task
        return
    run = JobRun(job_id=job.pk, number=job.runs)
    handler = registry.job_handler(job.kind)
    if handler is None:
        logger.error("criteria job %s: no handler is registered for %s jobs", job_id, job.kind)
        services.criteria_job_fail(
            job_id=job_id, run=run.number, error=f"No task worker handles {job.kind} jobs."
        )
        return
    heartbeat = Heartbeat(run.beat, heartbeat_seconds(), name=f"criteria job {job.pk} heartbeat")
    heartbeat.start()
    try:
        _reconnecting(f"criteria job {job_id} run {run.number}", handler.run, run)
    except services.JobSuperseded:
        logger.info("criteria job %s run %s: resumed as a later run; stopping", job_id, run.number)
    except WorkerStopping:
        resumed = criteria_job_resume(job_id=job_id, run=run.number)
        logger.info(
            "criteria job %s run %s: worker stopping; %s",
            job_id,
            run.number,
            "queued again for the next worker" if resumed else "left to stall and resume",
        )
    except engine.CriteriaInvalid as exc:
        services.criteria_job_fail(
            job_id=job_id, run=run.number, error=f"The criteria set has errors: {exc}"
        )
    except (KeyboardInterrupt, SystemExit):
        # Stopped hard (a second signal): give the job back if the database still answers.
        with contextlib.suppress(Error):
            criteria_job_resume(job_id=job_id, run=run.number)
        raise
    except (OperationalError, InterfaceError):
        # The database stayed away: the job stalls, and a worker resumes it once it is back.
        logger.error("criteria job %s run %s: database unavailable; giving up", job_id, run.number)
        raise
    except Exception as exc:
        # The type and the code path only: an exception's message can quote patient data.
        logger.error(
            "criteria job %s run %s stopped by %s\n%s",
            job_id,
            run.number,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        services.criteria_job_fail(
            job_id=job_id, run=run.number, error=f"Stopped by an error: {type(exc).__name__}"
        )
    finally:
        heartbeat.stop()


def _reconnecting(what: str, func: Callable[..., T], *args, **kwargs) -> T:
    """``func(*args, **kwargs)``, called again after a database error once reconnected."""
    for attempt in range(1, DATABASE_ATTEMPTS + 1):
        try:
            return func(*args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            if attempt == DATABASE_ATTEMPTS:
                raise
            delay = min(2 ** (attempt - 1), 60)
            logger.warning(
                "%s: database error (%s); reconnecting in %s s (attempt %s of %s)",
                what,
                type(exc).__name__,
                delay,
                attempt,
                DATABASE_ATTEMPTS,
            )
            close_connections()
            _sleep(delay)
    raise AssertionError("unreachable")


# One task per job kind, so that the task list (and a task queued before an upgrade) names
# what it runs; each runs the handler registered for its job's kind.


@task()
def impact_preview_task(job_id: int) -> None:
    """Impact preview of a draft over ``job.limit`` submitted intakes."""
    _run(job_id)


@task()
def rescreen_task(job_id: int) -> None:
    """Re-screen the open intakes of older versions under ``job.criteria_set``."""
    _run(job_id)


def task_of(kind: str):
    """The task that runs a job of ``kind``: ``task_of(job.kind).enqueue(job.pk)``."""
    return impact_preview_task if kind == CriteriaJobKind.IMPACT else rescreen_task


# ------------------------------------------------------------------------------------------
# Resuming stalled jobs


def criteria_job_resume(*, job_id: int, run: int | None = None, now=None) -> CriteriaJob | None:
    """Queue a stalled job again with a new task, as its next run, and return it; None when it
    is not stalled (finished, running with a live worker, or resumed already).

    With ``run``, that run gives its job back (its worker is stopping). The job and its new
    task are written in one transaction (the database backend stores tasks in the same
    database), so a job is never left queued without a task.
    """
    now = now or timezone.now()
    with transaction.atomic():
        job = services.criteria_job_requeue(
            job_id=job_id, run=run, now=now, stall_seconds=stall_seconds()
        )
        if job is None:
            return None
        lost_task = job.task_id if run is None else ""
        result = task_of(job.kind).enqueue(job.pk)
        services.criteria_job_task_set(job_id=job.pk, task_id=str(result.id))
        _task_lost(lost_task, resumed_as=str(result.id), now=now)
    return job


def criteria_jobs_resume_stalled(*, now=None) -> list[CriteriaJob]:
    """Resume every stalled job that has not run ``AUTOMATIC_RUNS`` times (a worker calls it
    when it starts and then periodically). Returns the jobs resumed."""
    now = now or timezone.now()
    stalled = (
        CriteriaJob.objects.stalled(now=now, seconds=stall_seconds())
        .filter(runs__lt=AUTOMATIC_RUNS)
        .order_by("id")
        .values_list("id", flat=True)
    )
    resumed = []
    for job_id in stalled:
        job = criteria_job_resume(job_id=job_id, now=now)
        if job is not None:
            resumed.append(job)
    return resumed


def _task_lost(task_id: str, *, resumed_as: str, now) -> None:
    """Mark the database task of a dead run failed: otherwise it reads "running" forever."""
    from django_tasks import TaskResultStatus
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not task_id or not isinstance(rescreen_task.get_backend(), DatabaseBackend):
        return
    try:
        lost = DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING)
    except ValidationError:  # not a task id of this backend
        return
    lost.update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="screener.tasks.WorkerLost",
        traceback=f"The worker stopped (no heartbeat); the job was resumed as task {resumed_as}.",
    )
