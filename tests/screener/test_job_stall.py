"""Background jobs that stop half-way: heartbeat, "stalled" on the progress page, resume, exact
counts over every run. In-process (the immediate task backend, a moved clock); the real worker
process, killed and cut off from its database, is in test_worker_faults.py."""

from __future__ import annotations

import datetime
import itertools
import logging
import threading

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import OperationalError
from django.test import Client
from django_tasks_db.models import DBTaskResult

from intake.rescreen import services as rescreen_module
from screener import services, tasks
from screener.models import CriteriaJob, CriteriaJobKind, CriteriaJobStatus
from tests.factories import PhysicianFactory, UserFactory
from tests.screener.jobs import (
    assert_rescreened_exactly_once,
    publish_threshold_7,
    rescreen_log,
    seed_open_intakes,
    warfarin_count,
)
from tests.screener.test_admin import text, url
from tests.screener.test_admin_story import CAUTIONS, CONSERVATIVE, table

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 2, 2, 10, 0, tzinfo=datetime.UTC)
STALL = 120  # CRITERIA_JOB_STALL_SECONDS by default


class Killed(BaseException):
    """The worker process dies here (as kill -9 would: nothing below it runs)."""


def dies(**kwargs):
    raise Killed


@pytest.fixture(autouse=True)
def _job_options(monkeypatch):
    """Small batches; the worker's stop flag and options are reset after each test."""
    monkeypatch.setattr(tasks, "options", tasks.JobOptions(batch_size=2))
    monkeypatch.setattr(tasks, "_stopping", threading.Event())
    monkeypatch.setattr(tasks, "_sleep", lambda seconds: None)


@pytest.fixture
def seeded(default_set):
    return seed_open_intakes(7)


@pytest.fixture
def v2(default_set):
    return publish_threshold_7(default_set)


def start_rescreen(client_admin, v2, django_capture_on_commit_callbacks) -> CriteriaJob:
    with django_capture_on_commit_callbacks(execute=True):
        client_admin.post(url("criteriaset_rescreen", v2.pk))
    return CriteriaJob.objects.get()


def kill_after_first_batch(monkeypatch) -> None:
    """The worker dies in the pause after its first committed batch."""
    monkeypatch.setattr(tasks.options, "batch_pause", 1.0)

    def die(seconds):
        raise Killed

    monkeypatch.setattr(tasks, "_sleep", die)


def running_job(default_set, **fields) -> CriteriaJob:
    defaults = {"status": CriteriaJobStatus.RUNNING, "runs": 1, "started_at": T0}
    return CriteriaJob.objects.create(
        kind=CriteriaJobKind.RESCREEN, criteria_set=default_set, **(defaults | fields)
    )


# ------------------------------------------------------------------------------------------
# Stalled: shown on the progress page


def test_a_job_without_heartbeat_for_the_stall_time_shows_stalled(client_admin, default_set):
    """Running and silent for more than CRITERIA_JOB_STALL_SECONDS: "Stalled", where it stopped,
    and a Resume button; a second less and it is still running."""
    job = running_job(default_set, heartbeat_at=T0, done=1000, total=4745)
    with time_machine.travel(T0 + datetime.timedelta(seconds=STALL - 1), tick=False):
        page = text(client_admin.get(url("criteriajob_change", job.pk)))
    assert "<strong>Running</strong>" in page
    assert 'id="job-stalled"' not in page
    with time_machine.travel(T0 + datetime.timedelta(seconds=STALL + 1), tick=False):
        page = text(client_admin.get(url("criteriajob_change", job.pk)))
    assert "<strong>Stalled</strong>" in page
    assert (
        "Stalled: the worker stopped at 1,000 of 4,745 intakes (no sign of life for more than "
        "120 seconds); resume it. Intakes already re-screened stay re-screened; resuming "
        "re-screens the rest, each intake once, and the counts cover every run." in page
    )
    assert f'href="{url("criteriajob_resume", job.pk)}"' in page
    assert 'data-job-running data-refresh-seconds="2"' in page  # a worker may resume it


def test_the_stall_time_is_a_setting(client_admin, default_set, settings):
    settings.CRITERIA_JOB_STALL_SECONDS = 30
    job = running_job(default_set, heartbeat_at=T0, done=10, total=20)
    with time_machine.travel(T0 + datetime.timedelta(seconds=31), tick=False):
        page = text(client_admin.get(url("criteriajob_change", job.pk)))
    assert "the worker stopped at 10 of 20 intakes (no sign of life for more than 30 seconds)" in (
        page
    )


def test_queued_and_finished_jobs_never_show_stalled(client_admin, default_set):
    queued = CriteriaJob.objects.create(kind=CriteriaJobKind.RESCREEN, criteria_set=default_set)
    done = running_job(default_set, status=CriteriaJobStatus.DONE, heartbeat_at=T0)
    with time_machine.travel(T0 + datetime.timedelta(days=3), tick=False):
        for job in (queued, done):
            assert 'id="job-stalled"' not in text(
                client_admin.get(url("criteriajob_change", job.pk))
            )
    assert list(CriteriaJob.objects.stalled(now=T0 + datetime.timedelta(days=3), seconds=1)) == []


# ------------------------------------------------------------------------------------------
# Resume: only a criteria admin, with a confirmation step


def test_only_a_criteria_admin_may_resume(client, default_set):
    """A staff user who may see jobs but not change criteria sees no button and gets 403; a
    physician never reaches admin."""
    job = running_job(default_set, heartbeat_at=T0, done=2, total=7)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_criteriajob"))
    client.force_login(viewer)
    with time_machine.travel(T0 + datetime.timedelta(seconds=STALL + 1), tick=False):
        page = text(client.get(url("criteriajob_change", job.pk)))
        assert "A criteria admin can resume it." in page
        assert url("criteriajob_resume", job.pk) not in page
        assert client.get(url("criteriajob_resume", job.pk)).status_code == 403
        assert client.post(url("criteriajob_resume", job.pk)).status_code == 403
        doctor = Client()
        doctor.force_login(PhysicianFactory())
        response = doctor.post(url("criteriajob_resume", job.pk))
        assert (response.status_code, response["Location"].split("?")[0]) == (302, "/admin/login/")
    job.refresh_from_db()
    assert (job.status, job.runs) == (CriteriaJobStatus.RUNNING, 1)


def test_resume_of_a_job_that_has_not_stalled_does_nothing(client_admin, default_set):
    job = running_job(default_set, heartbeat_at=T0, done=2, total=7, task_id="t1")
    with time_machine.travel(T0 + datetime.timedelta(seconds=5), tick=False):
        assert client_admin.get(url("criteriajob_resume", job.pk))["Location"] == url(
            "criteriajob_change", job.pk
        )
        page = text(client_admin.post(url("criteriajob_resume", job.pk), follow=True))
    assert "Not resumed: the job has not stalled" in page
    job.refresh_from_db()
    assert (job.status, job.runs, job.task_id) == (CriteriaJobStatus.RUNNING, 1, "t1")


@pytest.mark.parametrize("object_id", ["abc", "1e3", "%C2%B2", "99999999999999999999"])
def test_resume_of_a_job_id_that_is_not_a_number_is_not_found(client_admin, object_id):
    assert client_admin.get(f"/admin/screener/criteriajob/{object_id}/resume/").status_code == 404


# ------------------------------------------------------------------------------------------
# A worker killed mid-job: stalled, resumed, every intake moved once, counts exact


def test_a_rescreen_killed_after_a_batch_resumes_where_it_stopped_with_exact_counts(
    client_admin, default_set, seeded, v2, monkeypatch, django_capture_on_commit_callbacks
):
    kill_after_first_batch(monkeypatch)
    with time_machine.travel(T0, tick=False):
        job = start_rescreen(client_admin, v2, django_capture_on_commit_callbacks)
    # Killed with its first batch of 2 committed: running, silent, 2 of 7 moved.
    assert (job.status, job.runs, job.done, job.total, job.moved) == ("running", 1, 2, 7, 2)
    assert job.heartbeat_at == T0
    assert rescreen_log(v2) == []
    first_task = job.task_id

    monkeypatch.setattr(tasks, "_sleep", lambda seconds: None)
    with time_machine.travel(T0 + datetime.timedelta(seconds=STALL + 1), tick=False):
        page = text(client_admin.get(url("criteriajob_change", job.pk)))
        assert "Stalled: the worker stopped at 2 of 7 intakes" in page
        confirm = text(client_admin.get(url("criteriajob_resume", job.pk)))
        assert "Stalled: the worker stopped at 2 of 7 intakes" in confirm
        assert 'value="Resume"' in confirm
        done = text(client_admin.post(url("criteriajob_resume", job.pk), follow=True))

    job.refresh_from_db()
    changed = warfarin_count(7)
    assert (job.status, job.runs, job.done, job.total, job.moved) == ("done", 2, 7, 7, 7)
    assert job.task_id != first_task
    assert_rescreened_exactly_once(seeded, v2)
    assert job.outcome_changes == [["candidate_with_cautions", "conservative", changed]]
    assert (job.result["evaluated"], job.result["changed"]) == (7, changed)
    assert job.result["changes"] == [["candidate_with_cautions", "conservative", changed]]
    assert rescreen_log(v2) == [
        f"Re-screened 7 open intakes onto vertebroplasty v2; {changed} changed outcome"
    ]
    assert "Resumed: the task worker continues it." in done
    assert "7 intakes screened under vertebroplasty v2" in done
    assert table(done, "outcome-changes") == [[CAUTIONS, CONSERVATIVE, str(changed)]]
    assert "Resumed after its worker stopped: run 2." in done


def test_a_rescreen_killed_after_its_last_batch_is_logged_once_when_resumed(
    client_admin, default_set, seeded, v2, monkeypatch, django_capture_on_commit_callbacks
):
    """Killed after every intake moved but before it was marked done: the resumed run moves
    nothing and the change log still says 7, once."""
    real_finish = services.criteria_job_finish
    monkeypatch.setattr(services, "criteria_job_finish", dies)
    with time_machine.travel(T0, tick=False):
        job = start_rescreen(client_admin, v2, django_capture_on_commit_callbacks)
    assert (job.status, job.moved) == ("running", 7)
    monkeypatch.setattr(services, "criteria_job_finish", real_finish)
    with time_machine.travel(T0 + datetime.timedelta(seconds=STALL + 1), tick=False):
        client_admin.post(url("criteriajob_resume", job.pk))
    job.refresh_from_db()
    assert (job.status, job.runs, job.result["evaluated"]) == ("done", 2, 7)
    assert_rescreened_exactly_once(seeded, v2)
    assert rescreen_log(v2) == [
        f"Re-screened 7 open intakes onto vertebroplasty v2; {warfarin_count(7)} changed outcome"
    ]


def test_an_impact_preview_killed_before_its_end_starts_again_when_resumed(
    client_admin, default_set, seeded, monkeypatch, django_capture_on_commit_callbacks
):
    from intake.rescreen import admin as rescreen_admin
    from intake.rescreen.impact import impact_preview
    from screener.services import criteria_set_clone

    monkeypatch.setattr(rescreen_admin, "PREVIEW_IN_REQUEST", 2)
    draft = criteria_set_clone(criteria_set=default_set)
    draft.parameter_set.filter(name="nrs_outpatient_min").update(value=7)
    expected = impact_preview(criteria_set=draft, limit=6)
    assert expected.changed > 0
    real_finish = services.criteria_job_finish
    monkeypatch.setattr(services, "criteria_job_finish", dies)
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        client_admin.post(url("criteriaset_impact", draft.pk), {"limit": "6"})
    job = CriteriaJob.objects.get()
    assert (job.status, job.done, job.total) == ("running", 6, 6)
    monkeypatch.setattr(services, "criteria_job_finish", real_finish)
    with time_machine.travel(T0 + datetime.timedelta(seconds=STALL + 1), tick=False):
        client_admin.post(url("criteriajob_resume", job.pk))
    job.refresh_from_db()
    # Counted once, as a preview run in one go counts them.
    assert (job.status, job.runs, job.result["evaluated"]) == ("done", 2, 6)
    assert job.result["changes"] == [list(row) for row in expected.changes]
    assert job.outcome_changes == job.result["changes"]


# ------------------------------------------------------------------------------------------
# The next worker resumes stalled jobs by itself


def test_a_worker_resumes_stalled_jobs_and_leaves_live_and_worn_out_ones(
    default_set, seeded, v2, monkeypatch, django_capture_on_commit_callbacks
):
    stalled = running_job(v2, heartbeat_at=T0)
    alive = running_job(v2, heartbeat_at=T0 + datetime.timedelta(seconds=100))
    worn_out = running_job(v2, heartbeat_at=T0, runs=tasks.AUTOMATIC_RUNS)
    with time_machine.travel(T0 + datetime.timedelta(seconds=STALL + 1), tick=False):
        resumed = tasks.criteria_jobs_resume_stalled()
    assert [job.pk for job in resumed] == [stalled.pk]
    states = {
        job.pk: (job.status, job.runs)
        for job in CriteriaJob.objects.filter(pk__in=[stalled.pk, alive.pk, worn_out.pk])
    }
    assert states == {
        stalled.pk: ("done", 2),
        alive.pk: ("running", 1),
        worn_out.pk: ("running", tasks.AUTOMATIC_RUNS),
    }
    assert_rescreened_exactly_once(seeded, v2)


def test_a_worn_out_job_says_workers_no_longer_resume_it(client_admin, default_set):
    job = running_job(default_set, heartbeat_at=T0, runs=tasks.AUTOMATIC_RUNS)
    with time_machine.travel(T0 + datetime.timedelta(seconds=STALL + 1), tick=False):
        page = text(client_admin.get(url("criteriajob_change", job.pk)))
    assert f"After {tasks.AUTOMATIC_RUNS} runs, task workers no longer resume it" in page


def test_resuming_marks_the_dead_runs_database_task_failed(default_set, seeded, v2, settings):
    """With the database backend the dead run's task would read "running" forever."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = running_job(v2, heartbeat_at=T0)
    dead = tasks.rescreen_task.enqueue(job.pk)
    DBTaskResult.objects.filter(pk=dead.id).update(status="RUNNING")
    services.criteria_job_task_set(job_id=job.pk, task_id=str(dead.id))
    with time_machine.travel(T0 + datetime.timedelta(seconds=STALL + 1), tick=False):
        assert tasks.criteria_job_resume(job_id=job.pk) is not None
    job.refresh_from_db()
    assert job.status == CriteriaJobStatus.QUEUED
    assert DBTaskResult.objects.get(pk=dead.id).exception_class_path == "screener.tasks.WorkerLost"
    assert DBTaskResult.objects.get(pk=job.task_id).status == "READY"


# ------------------------------------------------------------------------------------------
# One run at a time, a worker that stops, a database that goes away


def test_a_run_resumed_as_a_later_one_can_no_longer_write_its_job(default_set, seeded, v2):
    """A late write of run 1 (its worker was only paused) is refused, and its batch rolled back."""
    job = services.criteria_job_create(kind=CriteriaJobKind.RESCREEN, criteria_set=v2)
    with time_machine.travel(T0, tick=False):
        assert services.criteria_job_start(job_id=job.pk).runs == 1
    with time_machine.travel(T0 + datetime.timedelta(seconds=STALL + 1), tick=False):
        assert services.criteria_job_requeue(job_id=job.pk) is not None
        assert services.criteria_job_start(job_id=job.pk).runs == 2
        assert services.criteria_job_start(job_id=job.pk) is None  # one run at a time
        with pytest.raises(services.JobSuperseded):
            services.criteria_job_progress(job_id=job.pk, run=1, done=1, total=7)
        assert not services.criteria_job_heartbeat(job_id=job.pk, run=1)
        assert services.criteria_job_heartbeat(job_id=job.pk, run=2)

        def batch_of_run_1(counts):
            services.criteria_job_batch_done(
                job_id=job.pk,
                run=1,
                moved=counts.moved,
                changes=counts.changes,
                dropped_answers=counts.dropped_answers,
            )

        with pytest.raises(services.JobSuperseded):
            rescreen_module.intakes_rescreen(target=v2, on_batch=batch_of_run_1, batch_size=2)
    assert v2.intakes.count() == 0
    job.refresh_from_db()
    assert (job.runs, job.moved, job.outcome_changes) == (2, 0, [])


def test_a_stopping_worker_gives_its_job_back_at_the_next_batch(default_set, seeded, v2, settings):
    """SIGTERM: the job is queued again with a new task at once, for the next worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = services.criteria_job_create(kind=CriteriaJobKind.RESCREEN, criteria_set=v2)
    first = tasks.rescreen_task.enqueue(job.pk)
    tasks.request_stop()
    tasks.rescreen_task.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.runs, v2.intakes.count()) == ("queued", 1, 0)
    assert job.task_id and job.task_id != str(first.id)
    assert DBTaskResult.objects.get(pk=job.task_id).status == "READY"

    tasks._stopping.clear()  # the next worker
    tasks.rescreen_task.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.runs, job.moved) == ("done", 2, 7)
    assert_rescreened_exactly_once(seeded, v2)


def test_a_database_error_mid_rescreen_reconnects_and_counts_exactly(
    client_admin, default_set, seeded, v2, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    """The second batch fails inside its transaction (the connection dropped): it is rolled
    back, the run reconnects and continues; nothing is counted twice."""
    monkeypatch.setattr(tasks, "close_connections", lambda: None)  # the test's transaction
    real = services.criteria_job_batch_done
    calls = []

    def drop_second_batch(**kwargs):
        calls.append(kwargs["moved"])
        if len(calls) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(services, "criteria_job_batch_done", drop_second_batch)
    with caplog.at_level(logging.WARNING, logger="screener.tasks"):
        job = start_rescreen(client_admin, v2, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.status, job.runs, job.moved, job.done, job.total) == ("done", 1, 7, 7, 7)
    assert_rescreened_exactly_once(seeded, v2)
    assert rescreen_log(v2) == [
        f"Re-screened 7 open intakes onto vertebroplasty v2; {warfarin_count(7)} changed outcome"
    ]
    assert [r.getMessage() for r in caplog.records if r.name == "screener.tasks"] == [
        f"criteria job {job.pk} run 1: database error (OperationalError); reconnecting in 1 s "
        "(attempt 1 of 8)"
    ]


def test_a_failed_job_logs_the_error_type_never_its_message(
    client_admin, default_set, seeded, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    """An exception's message can quote patient data: the log and the page name its type."""
    from intake.rescreen import admin as rescreen_admin
    from intake.rescreen import tasks as rescreen_tasks
    from screener.services import criteria_set_clone

    monkeypatch.setattr(rescreen_admin, "PREVIEW_IN_REQUEST", 2)
    patient = seeded["open"][0].patient

    def leak(**kwargs):
        raise ValueError(f"bad row: {patient.first_name} {patient.last_name}, {patient.mrn}")

    monkeypatch.setattr(rescreen_tasks, "impact_preview", leak)
    draft = criteria_set_clone(criteria_set=default_set)
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        client_admin.post(url("criteriaset_impact", draft.pk), {"limit": "6"})
    job = CriteriaJob.objects.get()
    assert (job.status, job.error) == ("failed", "Stopped by an error: ValueError")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"criteria job {job.pk} run 1 stopped by ValueError" in logged
    for secret in (patient.mrn, patient.last_name):
        assert secret not in logged


# ------------------------------------------------------------------------------------------
# Heartbeat


def test_each_batch_of_a_rescreen_beats(default_set, seeded, v2, monkeypatch):
    """Every committed batch moves the heartbeat to its own time."""
    beats = []
    real = services.criteria_job_batch_done

    def record(**kwargs):
        real(**kwargs)
        beats.append(CriteriaJob.objects.values_list("heartbeat_at", flat=True).get())

    monkeypatch.setattr(services, "criteria_job_batch_done", record)
    job = services.criteria_job_create(kind=CriteriaJobKind.RESCREEN, criteria_set=v2)
    with time_machine.travel(T0, tick=True) as clock:
        monkeypatch.setattr(
            tasks, "_sleep", lambda seconds: clock.shift(datetime.timedelta(seconds=seconds))
        )
        monkeypatch.setattr(tasks.options, "batch_pause", 50.0)
        tasks.rescreen_task.call(job.pk)
    assert len(beats) == 4  # 7 intakes in batches of 2
    assert all(
        later - earlier >= datetime.timedelta(seconds=50)
        for earlier, later in itertools.pairwise(beats)
    )


def test_the_heartbeat_thread_beats_until_stopped_or_superseded():
    """Between batches a thread beats on its own; it stops when its run no longer owns the
    job, and a database error does not end it."""
    three = threading.Event()
    calls = []

    def beat() -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("the database is restarting")
        if len(calls) == 3:
            three.set()
        return len(calls) < 5

    heartbeat = tasks.Heartbeat(beat, interval=0.001)
    heartbeat.start()
    assert three.wait(timeout=10)
    heartbeat.join(timeout=10)
    assert (heartbeat.is_alive(), len(calls)) == (False, 5)  # beat returned False: it ended

    idle = tasks.Heartbeat(lambda: True, interval=3600)
    idle.start()
    idle.stop()
    assert not idle.is_alive()
