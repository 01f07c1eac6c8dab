"""The real task worker under faults: killed with kill -9 mid-job, and cut off from PostgreSQL.

Each test starts ``manage.py run_worker`` as a process of its own against the test database,
so that database must be shared between processes: PostgreSQL only (SQLite's test database
lives in the test process's memory). Re-screen batches are small and paused
(``--batch-size 4 --batch-pause``) and the stall time short (``CRITERIA_JOB_STALL_SECONDS=2``),
so that a kill lands between two committed batches. A "restart" of PostgreSQL is its effect on
the worker, without touching a server that others share: the test database refuses new
connections (``ALLOW_CONNECTIONS false``) and every connection of the worker is terminated
(``pg_terminate_backend``), then it accepts connections again.

The waits poll the database with a deadline; no assertion depends on how long a step took.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from psycopg import sql

from intake.models import Patient
from screener.models import CriteriaJob, CriteriaJobStatus
from tests.screener.jobs import (
    assert_rescreened_exactly_once,
    publish_threshold_7,
    rescreen_log,
    seed_open_intakes,
    warfarin_count,
)
from tests.screener.test_admin import text, url

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(django_settings.BASE_DIR)
STALL = 2  # seconds without heartbeat before a job has stalled (the worker beats every 0.5)
OPEN = 13  # open intakes: batches of 4, 4, 4, 1
DEADLINE = 90  # seconds any one wait may take before the test fails, printing the worker's log

T = TypeVar("T")


class WorkerProcess:
    """``manage.py run_worker`` (a supervisor and its worker process) in its own process group."""

    def __init__(self, popen: subprocess.Popen, log: Path):
        self.popen = popen
        self.log_path = log

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def child(self) -> int | None:
        """The worker process the supervisor runs now."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
                if int(ppid) == self.popen.pid and state != "Z":
                    return int(stat.parent.name)
        return None

    def kill_all(self) -> None:
        """kill -9 of the supervisor and its worker: the machine went away."""
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=30)


def database_url() -> str:
    """The test database (as pytest-django named it), for the worker's DATABASE_URL."""
    params = connection.settings_dict
    auth = quote(params["USER"] or "postgres")
    if params["PASSWORD"]:
        auth += ":" + quote(params["PASSWORD"])
    host = params["HOST"] or "127.0.0.1"
    return f"postgres://{auth}@{host}:{params['PORT'] or 5432}/{quote(params['NAME'])}"


@pytest.fixture
def start_worker(tmp_path, settings) -> Iterator[Callable[..., WorkerProcess]]:
    """Starts workers against the test database; stops them after the test."""
    settings.CRITERIA_JOB_STALL_SECONDS = STALL
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    started: list[WorkerProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        environment = os.environ | {
            "DJANGO_SETTINGS_MODULE": "tests.screener.worker_settings",
            "DATABASE_URL": database_url(),
            "CRITERIA_JOB_STALL_SECONDS": str(STALL),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "manage.py", "run_worker", "--interval", "0.2", *args],
                cwd=BASE_DIR,
                env=environment,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )
        started.append(WorkerProcess(popen, log))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def wait_for(what: str, probe: Callable[[], T], *workers: WorkerProcess) -> T:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    logs = "\n".join(f"--- worker log ---\n{worker.log()}" for worker in workers)
    pytest.fail(f"timed out waiting for {what}\n{logs}")


def job_when(job_id: int, condition: Callable[[CriteriaJob], bool]) -> Callable[[], CriteriaJob]:
    def probe() -> CriteriaJob | None:
        job = CriteriaJob.objects.get(pk=job_id)
        return job if condition(job) else None

    return probe


@pytest.fixture
def seeded(default_set):
    return seed_open_intakes(OPEN)


@pytest.fixture
def v2(default_set):
    return publish_threshold_7(default_set)


def start_rescreen(client_admin, v2) -> CriteriaJob:
    """As a criteria admin would; the task is enqueued when the request commits."""
    assert client_admin.post(url("criteriaset_rescreen", v2.pk)).status_code == 302
    job = CriteriaJob.objects.get()
    assert job.task_id
    return job


def assert_exact(job: CriteriaJob, seeded, v2, *, runs: int) -> None:
    """Every open intake moved once, and the job, its result and the change log say so."""
    changed = warfarin_count(OPEN)
    assert (job.status, job.runs, job.moved, job.done, job.total) == ("done", runs, 13, 13, 13)
    assert_rescreened_exactly_once(seeded, v2)
    assert job.outcome_changes == [["candidate_with_cautions", "conservative", changed]]
    assert (job.result["evaluated"], job.result["changed"]) == (OPEN, changed)
    assert rescreen_log(v2) == [
        f"Re-screened {OPEN} open intakes onto vertebroplasty v2; {changed} changed outcome"
    ]


def assert_no_patient_data(*workers: WorkerProcess) -> None:
    logs = "\n".join(worker.log() for worker in workers)
    for mrn, first, last in Patient.objects.values_list("mrn", "first_name", "last_name"):
        for secret in (mrn, f"{first} {last}"):
            assert secret not in logs


@contextlib.contextmanager
def database_down() -> Iterator[None]:
    """PostgreSQL as the worker sees a restart: its connections end, new ones are refused;
    then connections are accepted again. The test's own connection is kept."""
    name = connection.settings_dict["NAME"]
    own = connection.connection.info.backend_pid if connection.connection else 0
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"] or "postgres",
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        quoted = sql.Identifier(name)
        admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(quoted))
        try:
            terminated = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s",
                [name, own],
            ).fetchone()[0]
            assert terminated >= 1  # the worker was connected
            yield
        finally:
            admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(quoted))


def worker_connected() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] >= 1


# ------------------------------------------------------------------------------------------


def test_a_worker_killed_mid_job_stalls_and_resume_moves_every_intake_exactly_once(
    start_worker, client_admin, seeded, v2
):
    """kill -9 after the first batch: the job shows stalled where it stopped; "Resume" and a
    new worker finish it: each open intake moved once, counts exact over both runs.

    Before the kill, the worker pauses longer than the stall time after its first batch: its
    heartbeat thread keeps the job from looking stalled all along."""
    worker = start_worker("--batch-size", "4", "--batch-pause", str(STALL + 1.5))
    job = start_rescreen(client_admin, v2)
    first_task = job.task_id
    committed = wait_for("the first batch", job_when(job.pk, lambda j: j.moved >= 4), worker)
    watch_until = time.monotonic() + STALL + 0.5
    while time.monotonic() < watch_until:
        alive = CriteriaJob.objects.get(pk=job.pk)
        assert not alive.is_stalled(now=timezone.now(), seconds=STALL), worker.log()
        time.sleep(0.05)
    assert alive.heartbeat_at > committed.heartbeat_at
    worker.kill_all()

    killed = CriteriaJob.objects.get(pk=job.pk)
    assert killed.status == CriteriaJobStatus.RUNNING
    # Whole batches only, and the job counted exactly the intakes its batches moved.
    assert killed.moved in (4, 8, 12)
    assert v2.intakes.count() == killed.moved

    stalled = wait_for(
        "the job to stall",
        job_when(job.pk, lambda j: j.is_stalled(now=timezone.now(), seconds=STALL)),
        worker,
    )
    page = text(client_admin.get(url("criteriajob_change", job.pk)))
    assert "<strong>Stalled</strong>" in page
    assert f"Stalled: the worker stopped at {stalled.done} of 13 intakes" in page
    assert "no sign of life for more than 2 seconds" in page
    assert f'href="{url("criteriajob_resume", job.pk)}"' in page
    assert 'value="Resume"' in text(client_admin.get(url("criteriajob_resume", job.pk)))
    client_admin.post(url("criteriajob_resume", job.pk))
    resumed = CriteriaJob.objects.get(pk=job.pk)
    assert (resumed.status, resumed.runs) == (CriteriaJobStatus.QUEUED, 1)
    assert DBTaskResult.objects.get(pk=first_task).exception_class_path == (
        "screener.tasks.WorkerLost"
    )

    second = start_worker("--batch-size", "4")
    done = wait_for("the job to finish", job_when(job.pk, lambda j: j.finished), second)
    assert_exact(done, seeded, v2, runs=2)
    assert DBTaskResult.objects.get(pk=done.task_id).status == "SUCCESSFUL"
    assert_no_patient_data(worker, second)


def test_a_supervised_worker_killed_mid_job_is_restarted_and_resumes_the_job_itself(
    start_worker, client_admin, seeded, v2
):
    """kill -9 of the worker process only: its supervisor starts a new one, which resumes the
    stalled job by itself and finishes it exactly."""
    worker = start_worker("--batch-size", "4", "--batch-pause", "1.5")
    job = start_rescreen(client_admin, v2)
    wait_for("the first batch", job_when(job.pk, lambda j: j.moved >= 4), worker)
    first_child = wait_for("the worker process", worker.child, worker)
    os.kill(first_child, signal.SIGKILL)

    done = wait_for("the job to finish", job_when(job.pk, lambda j: j.finished), worker)
    assert_exact(done, seeded, v2, runs=2)
    assert worker.alive()
    assert wait_for("the new worker process", worker.child, worker) != first_child
    log = worker.log()
    assert f"worker process {first_child} ended (signal 9); starting a new one in 1.0 s" in log
    assert f"criteria job {job.pk} had stalled at " in log
    assert_no_patient_data(worker)


def test_a_worker_stopped_by_sigterm_gives_its_job_back_for_the_next_worker(
    start_worker, client_admin, seeded, v2
):
    """A deploy stops the worker mid-job: it stops within the current batch's pause and queues
    the job again at once (no stall to wait for); the next worker finishes it exactly."""
    worker = start_worker("--batch-size", "4", "--batch-pause", "1.5")
    job = start_rescreen(client_admin, v2)
    first_task = job.task_id
    wait_for("the first batch", job_when(job.pk, lambda j: j.moved >= 4), worker)
    worker.popen.send_signal(signal.SIGTERM)  # to the supervisor, which passes it on
    assert worker.popen.wait(timeout=DEADLINE) == 0

    given_back = CriteriaJob.objects.get(pk=job.pk)
    assert (given_back.status, given_back.runs) == (CriteriaJobStatus.QUEUED, 1)
    assert given_back.task_id != first_task
    assert DBTaskResult.objects.get(pk=given_back.task_id).status == "READY"
    assert v2.intakes.count() == given_back.moved
    assert f"criteria job {job.pk} run 1: worker stopping; queued again" in worker.log()

    second = start_worker("--batch-size", "4")
    done = wait_for("the job to finish", job_when(job.pk, lambda j: j.finished), second)
    assert_exact(done, seeded, v2, runs=2)


def test_the_worker_carries_on_through_database_restarts_idle_and_mid_job(
    start_worker, client_admin, seeded, v2
):
    """The database goes away while the worker waits for work (its persistent connection dies
    in the poll, as in get_locked), then again mid-job: the same worker process reconnects
    each time and the job finishes in its first run, each intake moved once."""
    worker = start_worker(
        "--batch-size", "4", "--batch-pause", "1.0", env={"DATABASE_CONN_MAX_AGE": "600"}
    )
    child = wait_for("the worker process", worker.child, worker)
    wait_for("the worker's connection", worker_connected, worker)
    with database_down():  # until a reconnection has been refused too
        wait_for("a refused reconnection", lambda: worker.log().count("unavailable") >= 2, worker)

    job = start_rescreen(client_admin, v2)
    wait_for("the first batch", job_when(job.pk, lambda j: j.moved >= 4), worker)
    with database_down():
        wait_for("a refused reconnection", lambda: "(attempt 2 of 8)" in worker.log(), worker)

    done = wait_for("the job to finish", job_when(job.pk, lambda j: j.finished), worker)
    assert_exact(done, seeded, v2, runs=1)
    assert worker.child() == child  # reconnected in place: never restarted
    log = worker.log()
    assert "database unavailable (OperationalError); reconnecting in 1.0 s" in log
    assert f"criteria job {job.pk} run 1: database error (OperationalError); reconnecting" in log
    assert_no_patient_data(worker)
