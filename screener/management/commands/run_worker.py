"""Run the task worker, supervised, so that background jobs survive faults.

``manage.py run_worker`` is a small supervisor: it runs the worker in a child process and starts
a new one, with back-off, whenever the child ends other than by request (killed, crashed). The
worker runs django-tasks-db's ``db_worker`` loop (every ready task, then a pause of
``--interval``) and, beside it:

- on a database error (PostgreSQL restarting, a dropped or stale connection) it closes its
  connections, waits with back-off (1 s doubling to 60 s) and carries on; any other error of
  the loop is logged and the loop carries on too;
- when it starts, and then every half ``CRITERIA_JOB_STALL_SECONDS``, it resumes stalled
  criteria jobs (``screener.tasks.criteria_jobs_resume_stalled``);
- on SIGTERM or SIGINT it stops after the running job's current batch, giving the job back to
  the queue for the next worker; a second signal stops it at once (the job is given back too,
  or resumed once it stalls).

``--no-supervisor`` runs the worker in this process only (under systemd, or another supervisor
that restarts it). The log names tasks, jobs and error types, never answers or patient data.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from argparse import ArgumentParser
from pathlib import Path
from types import FrameType

from django.core.management.base import BaseCommand
from django.db import Error
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import (
    Worker,
    valid_backend_name,
    valid_interval,
)

from screener import tasks

logger = logging.getLogger("screener.worker")

MAX_BACKOFF = 60.0
# A child that ran this long before dying starts the back-off again from its first step.
HEALTHY_RUN_SECONDS = 60.0


class Backoff:
    """Waits of 1, 2, 4 ... ``MAX_BACKOFF`` seconds; ``reset`` after a success."""

    def __init__(self) -> None:
        self.failures = 0

    def next(self) -> float:
        self.failures += 1
        return min(2.0 ** (self.failures - 1), MAX_BACKOFF)

    def reset(self) -> None:
        self.failures = 0


class SupervisedWorker(Worker):
    """The db_worker loop, stopped between tasks or at a job's next batch."""

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        tasks.request_stop()  # a running job gives itself back at its next batch
        super().shutdown(signum, frame)


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Run the background task worker: reconnects after database errors, resumes stalled "
        "criteria jobs, and (unless --no-supervisor) restarts in a new process after a crash."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--queue-name",
            default=DEFAULT_TASK_QUEUE_NAME,
            help="Queues to process, comma-separated ('*' for all; default: %(default)r).",
        )
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=1.0,
            help="Seconds between looks for a task when the queue is empty (default: 1).",
        )
        parser.add_argument(
            "--backend",
            type=valid_backend_name,
            default=DEFAULT_TASK_BACKEND_ALIAS,
            dest="backend_name",
            help="The task backend (a django-tasks-db one; default: %(default)r).",
        )
        parser.add_argument(
            "--batch-size",
            type=_positive_int,
            default=None,
            help="Intakes per committed batch of a re-screen (default: 1000).",
        )
        parser.add_argument(
            "--batch-pause",
            type=valid_interval,
            default=0.0,
            help="Seconds to wait after each committed batch of a job, to leave the database "
            "to the clinic's users (default: 0).",
        )
        parser.add_argument(
            "--no-supervisor",
            action="store_false",
            dest="supervise",
            help="Run the worker in this process, without a parent that restarts it.",
        )

    def handle(self, *, supervise: bool, verbosity: int, **options) -> None:
        self.configure_logging(verbosity)
        if supervise:
            sys.exit(self.supervise(verbosity=verbosity, **options))
        self.work(**options)

    def configure_logging(self, verbosity: int) -> None:
        level = {0: logging.CRITICAL, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in ("screener", "django_tasks"):
            named = logging.getLogger(name)
            named.setLevel(level)
            if not named.hasHandlers():
                handler = logging.StreamHandler(self.stderr)
                handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
                named.addHandler(handler)
        # Its INFO lines are "Starting worker" / "No more tasks" at every poll (batch mode).
        logging.getLogger("django_tasks_db").setLevel(
            logging.DEBUG if verbosity > 1 else logging.WARNING
        )

    # -- the worker (child) -----------------------------------------------------------------

    def work(
        self,
        *,
        queue_name: str,
        interval: float,
        backend_name: str,
        batch_size: int | None,
        batch_pause: float,
        **_options,
    ) -> None:
        tasks.options.batch_size = batch_size
        tasks.options.batch_pause = batch_pause
        worker = SupervisedWorker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=True,  # run() returns when the queue is empty: the loop below goes on
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=None,
            worker_id=f"{os.getpid()}@{socket.gethostname()}"[:64],
            excluded_queue_names=[],
        )
        worker.configure_signals()
        logger.info("worker %s started (queues %s)", worker.worker_id, queue_name)
        sweep_every = max(tasks.stall_seconds() / 2, interval)
        next_sweep = 0.0
        backoff = Backoff()
        while worker.running:
            try:
                if time.monotonic() >= next_sweep:
                    self.resume_stalled()
                    next_sweep = time.monotonic() + sweep_every
                worker.run()
            except Error as exc:
                delay = backoff.next()
                logger.warning(
                    "database unavailable (%s); reconnecting in %s s", type(exc).__name__, delay
                )
                tasks.close_connections()
                time.sleep(delay)
                continue
            except Exception as exc:
                delay = backoff.next()
                logger.error(
                    "worker loop stopped by %s; carrying on in %s s\n%s",
                    type(exc).__name__,
                    delay,
                    "".join(traceback.format_tb(exc.__traceback__)),
                )
                tasks.close_connections()
                time.sleep(delay)
                continue
            backoff.reset()
            if worker.running:
                time.sleep(interval)
        logger.info("worker %s stopped", worker.worker_id)

    def resume_stalled(self) -> None:
        for job in tasks.criteria_jobs_resume_stalled():
            logger.warning(
                "criteria job %s had stalled at %s of %s (run %s): queued again",
                job.pk,
                job.done,
                job.total,
                job.runs,
            )

    # -- the supervisor (parent) ------------------------------------------------------------

    def supervise(self, *, verbosity: int, **options) -> int:
        command = [*_manage_command(), "run_worker", "--no-supervisor", "-v", str(verbosity)]
        command += ["--queue-name", options["queue_name"], "--interval", str(options["interval"])]
        command += ["--backend", options["backend_name"]]
        command += ["--batch-pause", str(options["batch_pause"])]
        if options["batch_size"]:
            command += ["--batch-size", str(options["batch_size"])]
        child: subprocess.Popen | None = None
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            # First signal: the worker stops after its job's batch; a second: at once.
            nonlocal stopping
            stopping = True
            if child is not None and child.poll() is None:
                child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        backoff = Backoff()
        while True:
            started = time.monotonic()
            child = subprocess.Popen(command)
            logger.info("supervisor %s: worker process %s started", os.getpid(), child.pid)
            code = child.wait()
            if stopping or code == 0:
                logger.info("supervisor %s: worker process %s ended", os.getpid(), child.pid)
                return 0 if stopping else code
            if time.monotonic() - started >= HEALTHY_RUN_SECONDS:
                backoff.reset()
            delay = backoff.next()
            ended = f"signal {-code}" if code < 0 else f"status {code}"
            logger.warning(
                "supervisor %s: worker process %s ended (%s); starting a new one in %s s",
                os.getpid(),
                child.pid,
                ended,
                delay,
            )
            deadline = time.monotonic() + delay
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.1)
            if stopping:
                return 0


def _manage_command() -> list[str]:
    """How this process was started: ``python manage.py`` (or ``python -m django``)."""
    script = Path(sys.argv[0])
    if script.name == "manage.py" and script.is_file():
        return [sys.executable, str(script.resolve())]
    return [sys.executable, "-m", "django"]
