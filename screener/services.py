"""Writes of criteria sets: create or clone a draft, check it, publish it, retire it, import
it, and record every change in the set's change log; and the progress of background jobs."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from screener import adapters, content, engine, selectors, transfer
from screener.golden import golden_failures
from screener.models import (
    CodingRow,
    ContentBlock,
    CriteriaChange,
    CriteriaChangeAction,
    CriteriaJob,
    CriteriaJobKind,
    CriteriaJobStatus,
    CriteriaSet,
    CriteriaSetStatus,
    DerivedValue,
    DiagnosisCode,
    FollowUpVisit,
    GoldenCase,
    Parameter,
    Procedure,
    Question,
    Rule,
)

# Every part of a set, copied by a clone.
ITEM_MODELS = (
    Question,
    Parameter,
    DerivedValue,
    Rule,
    CodingRow,
    DiagnosisCode,
    FollowUpVisit,
    ContentBlock,
    GoldenCase,
)


@transaction.atomic
def criteria_change_record(
    *,
    criteria_set: CriteriaSet,
    action: CriteriaChangeAction,
    summary: str,
    details: list[str] | None = None,
    user: AbstractBaseUser | None = None,
    now: datetime.datetime | None = None,
) -> CriteriaChange:
    """Add one line to a set's change log (who, when, what changed)."""
    change = CriteriaChange(
        criteria_set=criteria_set,
        set_label=str(criteria_set),
        action=action,
        summary=summary[:300],
        details=list(details or []),
        user=user if user is not None and user.is_authenticated else None,
        at=now or timezone.now(),
    )
    change.full_clean()
    change.save()
    return change


PROCEDURE_FIELDS = ("slug", "name", "description")


@transaction.atomic
def procedure_save(*, procedure: Procedure, user: AbstractBaseUser | None = None) -> Procedure:
    """Save a procedure (new or edited) and record any change in the criteria change log.

    Published versions keep the name they were published with (``CriteriaSet.procedure_name``);
    drafts still showing the old name take the new one, each with a line in its own log. The
    slug cannot change once a version has been published (``models.guard_procedure_write``).
    """
    stored = (
        Procedure.objects.select_for_update().filter(pk=procedure.pk).first()
        if procedure.pk is not None
        else None
    )
    procedure.full_clean()
    procedure.save()
    if stored is None:
        return procedure
    lines = [
        f"Procedure {name}: {getattr(stored, name)!r} -> {getattr(procedure, name)!r}"
        for name in PROCEDURE_FIELDS
        if getattr(stored, name) != getattr(procedure, name)
    ]
    if not lines:
        return procedure
    now = timezone.now()
    user = user if user is not None and user.is_authenticated else None
    change = CriteriaChange(
        criteria_set=None,
        set_label=f"{stored.slug} (procedure)"[:100],
        action=CriteriaChangeAction.PROCEDURE_CHANGED,
        summary=lines[0] if len(lines) == 1 else f"{lines[0]} (and {len(lines) - 1} more)",
        details=lines,
        user=user,
        at=now,
    )
    change.full_clean()
    change.save()
    if stored.name != procedure.name:
        drafts = CriteriaSet.objects.select_for_update().filter(
            procedure=procedure, status=CriteriaSetStatus.DRAFT, procedure_name=stored.name
        )
        for draft in drafts:
            draft.procedure_name = procedure.name
            draft.save(update_fields=["procedure_name"])
            criteria_change_record(
                criteria_set=draft,
                action=CriteriaChangeAction.EDITED,
                summary=f"Set procedure_name: {stored.name} -> {procedure.name} (procedure renamed)",
                user=user,
                now=now,
            )
    return procedure


def criteria_set_edit_record(
    *,
    criteria_set: CriteriaSet,
    before: dict[str, Any],
    user: AbstractBaseUser | None = None,
) -> CriteriaChange | None:
    """Record an edit of a draft (admin) as the difference from the snapshot ``before``.

    ``before`` is ``transfer.criteria_set_data`` taken before the edit (a new set is recorded
    by ``criteria_set_create``). Returns None when nothing changed.
    """
    after = transfer.criteria_set_data(criteria_set)
    lines = transfer.snapshot_diff(before, after)
    if not lines:
        return None
    summary = lines[0] if len(lines) == 1 else f"{lines[0]} (and {len(lines) - 1} more)"
    return criteria_change_record(
        criteria_set=criteria_set,
        action=CriteriaChangeAction.EDITED,
        summary=summary,
        details=lines,
        user=user,
    )


def criteria_set_check(criteria_set: CriteriaSet) -> list[engine.CriteriaProblem]:
    """Every problem of the set's expressions, definitions and content placeholders (empty
    when it can be used)."""
    spec = adapters.criteria_spec(criteria_set)
    return engine.check_criteria(spec) + content.content_problems(
        criteria_set.contentblock_set.all(), parameter_names=[p.name for p in spec.parameters]
    )


class GoldenCaseRefused(ValidationError):
    """A golden case cannot be added: its set is not a draft (the message says which)."""


@transaction.atomic
def golden_case_create(
    *,
    criteria_set: CriteriaSet,
    name: str,
    as_of: datetime.date,
    answers: dict[str, Any],
    expected_outcome: str,
    expected_holding: list[str],
    expected_missing: list[str] | None,
    description: str = "",
    user: AbstractBaseUser | None = None,
) -> GoldenCase:
    """A new golden case at the end of a draft's cases, recorded in its change log.

    ``name`` is made unique within the set (``-2``, ``-3`` ... added when it is taken). The
    case is stored as the admin's form stores one (answers as ``manage.py screen`` takes them);
    it is not run here: the set's golden cases run on demand and before publishing.
    """
    locked = (
        CriteriaSet.objects.select_for_update().select_related("procedure").get(pk=criteria_set.pk)
    )
    if not locked.is_draft:
        raise GoldenCaseRefused(
            f"{locked} is {locked.status}: golden cases are added to a draft; clone it first."
        )
    before = transfer.criteria_set_data(locked)
    taken = set(locked.goldencase_set.values_list("name", flat=True))
    unique, number = name, 1
    while unique in taken:
        number += 1
        suffix = f"-{number}"
        unique = f"{name[: 80 - len(suffix)]}{suffix}"
    last = locked.goldencase_set.order_by("-order").values_list("order", flat=True).first()
    case = GoldenCase(
        criteria_set=locked,
        order=(last or 0) + 10,
        name=unique,
        description=description[:300],
        as_of=as_of,
        answers=answers,
        expected_outcome=expected_outcome,
        expected_holding=expected_holding,
        expected_missing=expected_missing,
    )
    case.full_clean()
    case.save()
    criteria_set_edit_record(criteria_set=locked, before=before, user=user)
    return case


def _next_version_locked(procedure_id: int) -> tuple[Procedure, int]:
    """The procedure, its row locked until the caller's transaction ends, and the version
    number its next set takes.

    Every writer of a new version (create, clone, import) takes its number here: a second
    writer waits on the lock until the first commits, then reads its version, so two at once
    get different numbers (the unique (procedure, version) constraint is only the backstop).
    Call it inside ``transaction.atomic``.
    """
    procedure = Procedure.objects.select_for_update().get(pk=procedure_id)
    return procedure, selectors.next_version(procedure)


@transaction.atomic
def criteria_set_create(
    *,
    procedure: Procedure,
    created_by: AbstractBaseUser | None = None,
    draft: CriteriaSet | None = None,
) -> CriteriaSet:
    """A new draft of ``procedure`` as its next version, recorded in its change log.

    ``draft`` is the unsaved set with its other fields filled in (the admin's add form: notes,
    codes); without it the set has the model's defaults. Its procedure, version and status are
    set here; it takes the procedure's name as it is today.
    """
    if draft is not None and draft.pk is not None:
        raise ValueError(f"{draft} is stored already: clone it instead.")
    locked, version = _next_version_locked(procedure.pk)
    criteria_set = draft if draft is not None else CriteriaSet()
    criteria_set.procedure = locked
    criteria_set.procedure_name = criteria_set.procedure_name or locked.name
    criteria_set.version = version
    criteria_set.status = CriteriaSetStatus.DRAFT
    criteria_set.full_clean()
    criteria_set.save()
    criteria_change_record(
        criteria_set=criteria_set,
        action=CriteriaChangeAction.CREATED,
        summary=f"Created {criteria_set} as a draft",
        user=created_by,
    )
    return criteria_set


@transaction.atomic
def criteria_set_clone(
    *, criteria_set: CriteriaSet, notes: str = "", user: AbstractBaseUser | None = None
) -> CriteriaSet:
    """A full copy of a set as a new draft with the procedure's next version number."""
    procedure, version = _next_version_locked(criteria_set.procedure_id)
    draft = CriteriaSet(
        procedure=procedure,
        # The procedure's name today: a rename since the source version reaches the new one.
        procedure_name=procedure.name,
        version=version,
        status=CriteriaSetStatus.DRAFT,
        notes=notes or f"Draft cloned from version {criteria_set.version}.",
        coding_level_question=criteria_set.coding_level_question,
        coding_count_question=criteria_set.coding_count_question,
        codes_note=criteria_set.codes_note,
        coverage_policy=criteria_set.coverage_policy,
        coverage_policy_revised=criteria_set.coverage_policy_revised,
    )
    draft.full_clean()
    draft.save()
    for model in ITEM_MODELS:
        copies = []
        for item in model.objects.filter(criteria_set=criteria_set).order_by("order", "id"):
            item.pk = None
            item.id = None
            item.criteria_set = draft
            item._state.adding = True
            copies.append(item)
        model.objects.bulk_create(copies)
    renamed = draft.procedure_name != criteria_set.procedure_name
    criteria_change_record(
        criteria_set=draft,
        action=CriteriaChangeAction.CLONED,
        summary=f"Cloned from {criteria_set} as a new draft",
        details=(
            [f"Set procedure_name: {criteria_set.procedure_name} -> {draft.procedure_name}"]
            if renamed
            else []
        ),
        user=user,
    )
    return draft


class PublishRefused(ValidationError):
    """Publishing was refused; ``messages`` lists why."""


@transaction.atomic
def criteria_set_publish(
    *,
    criteria_set: CriteriaSet,
    now: datetime.datetime | None = None,
    user: AbstractBaseUser | None = None,
) -> CriteriaSet:
    """Publish a draft once every expression checks and every golden case passes.

    Retires nothing: older versions stay usable for intakes pinned to them; new intakes use the
    newest published version. Raises PublishRefused listing each problem and failing case.
    """
    locked = (
        CriteriaSet.objects.select_for_update().select_related("procedure").get(pk=criteria_set.pk)
    )
    if locked.status != CriteriaSetStatus.DRAFT:
        raise PublishRefused(f"{locked} is already {locked.status}.")
    problems = criteria_set_check(locked)
    if problems:
        raise PublishRefused([str(problem) for problem in problems])
    failures = golden_failures(locked)
    if failures:
        raise PublishRefused(failures)
    locked.status = CriteriaSetStatus.PUBLISHED
    locked.published_at = now or timezone.now()
    locked.full_clean()
    locked.save()
    criteria_change_record(
        criteria_set=locked,
        action=CriteriaChangeAction.PUBLISHED,
        summary=f"Published {locked}",
        user=user,
        now=locked.published_at,
    )
    return locked


@transaction.atomic
def criteria_set_retire(
    *,
    criteria_set: CriteriaSet,
    now: datetime.datetime | None = None,
    user: AbstractBaseUser | None = None,
) -> CriteriaSet:
    """Retire a published set: intakes pinned to it keep it; new intakes no longer use it."""
    locked = (
        CriteriaSet.objects.select_for_update().select_related("procedure").get(pk=criteria_set.pk)
    )
    if locked.status != CriteriaSetStatus.PUBLISHED:
        raise ValidationError(f"Only a published set can be retired; {locked} is {locked.status}.")
    locked.status = CriteriaSetStatus.RETIRED
    locked.retired_at = now or timezone.now()
    locked.save()
    criteria_change_record(
        criteria_set=locked,
        action=CriteriaChangeAction.RETIRED,
        summary=f"Retired {locked}",
        user=user,
        now=locked.retired_at,
    )
    return locked


@transaction.atomic
def criteria_set_import(*, data: Any, user: AbstractBaseUser | None = None) -> CriteriaSet:
    """A criteria file's data as a new draft (the procedure's next version).

    Everything is checked before anything is written: raises transfer.CriteriaFileInvalid
    listing every problem. The procedure is created when the file names a new one.
    """
    parsed = transfer.parse_criteria_data(data)
    procedure = Procedure.objects.filter(slug=parsed.procedure["slug"]).first()
    if procedure is None:
        procedure = Procedure(**parsed.procedure)
        procedure.full_clean()
        procedure.save()
    procedure, version = _next_version_locked(procedure.pk)
    draft = parsed.criteria_set
    draft.procedure = procedure
    draft.version = version
    draft.status = CriteriaSetStatus.DRAFT
    draft.full_clean()
    draft.save()
    for section, (model, _key, _label) in transfer.SECTIONS.items():
        items = parsed.items[section]
        for item in items:
            item.criteria_set = draft
        model.objects.bulk_create(items)
    counts = ", ".join(
        f"{len(parsed.items[section])} {model._meta.verbose_name_plural}"
        for section, (model, _key, _label) in transfer.SECTIONS.items()
    )
    criteria_change_record(
        criteria_set=draft,
        action=CriteriaChangeAction.IMPORTED,
        summary=f"Imported as draft {draft} ({counts})",
        user=user,
    )
    return draft


@transaction.atomic
def criteria_set_delete(*, criteria_set: CriteriaSet, user: AbstractBaseUser | None = None) -> None:
    """Delete a draft (with its parts); the change log keeps a line saying so."""
    criteria_change_record(
        criteria_set=criteria_set,
        action=CriteriaChangeAction.DELETED,
        summary=f"Deleted draft {criteria_set}",
        user=user,
    )
    criteria_set.delete()


@transaction.atomic
def criteria_job_create(
    *,
    kind: CriteriaJobKind,
    criteria_set: CriteriaSet,
    limit: int | None = None,
    user: AbstractBaseUser | None = None,
) -> CriteriaJob:
    """A queued background job; the caller enqueues its task once this is committed."""
    job = CriteriaJob(
        kind=kind,
        criteria_set=criteria_set,
        limit=limit,
        status=CriteriaJobStatus.QUEUED,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    job.full_clean()
    job.save()
    return job


class JobSuperseded(Exception):
    """This run of a job no longer owns it: the job was resumed as a later run, or finished."""


def _job_changes(tally: Any) -> list[list]:
    return [list(row) for row in tally.change_rows()]


def _job_owned(*, job_id: int, run: int):
    """The job while ``run`` owns it: running, and not resumed as a later run since."""
    return CriteriaJob.objects.filter(pk=job_id, runs=run, status=CriteriaJobStatus.RUNNING)


def criteria_job_lock(*, job_id: int, run: int) -> CriteriaJob:
    """The job, locked until the caller's transaction ends, while ``run`` owns it (its totals
    then cannot change under the caller). Raises JobSuperseded when it no longer does."""
    job = _job_owned(job_id=job_id, run=run).select_for_update().first()
    if job is None:
        raise JobSuperseded(job_id)
    return job


def criteria_job_start(*, job_id: int, now: datetime.datetime | None = None) -> CriteriaJob | None:
    """Start a queued job as its next run and return it (``job.runs`` is the run's number).

    None when there is nothing to start: the job no longer exists (its draft was deleted), has
    finished, or already runs under another task. An impact preview starts again from the
    beginning; a re-screen keeps its totals and continues where its last run stopped.
    """
    now = now or timezone.now()
    with transaction.atomic():
        job = CriteriaJob.objects.select_for_update(of=("self",)).filter(pk=job_id).first()
        if job is None or job.status != CriteriaJobStatus.QUEUED:
            return None
        job.status = CriteriaJobStatus.RUNNING
        job.runs += 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        fields = ["status", "runs", "started_at", "heartbeat_at"]
        if job.kind == CriteriaJobKind.IMPACT:
            job.done, job.outcome_changes = 0, []
            fields += ["done", "outcome_changes"]
        job.save(update_fields=fields)
    return job


def criteria_job_task_set(*, job_id: int, task_id: str) -> None:
    """Keep the id of the task that runs the job (for the task admin and logs)."""
    CriteriaJob.objects.filter(pk=job_id).update(task_id=task_id[:64])


def criteria_job_heartbeat(*, job_id: int, run: int, now: datetime.datetime | None = None) -> bool:
    """The worker running ``run`` is alive. False when the run no longer owns the job."""
    return bool(_job_owned(job_id=job_id, run=run).update(heartbeat_at=now or timezone.now()))


def criteria_job_progress(
    *,
    job_id: int,
    run: int,
    done: int,
    total: int,
    tally: Any = None,
    now: datetime.datetime | None = None,
) -> None:
    """Progress so far (done / total; with ``tally``, the outcome changes so far), for the
    progress page; a heartbeat too. Raises JobSuperseded when ``run`` no longer owns the job."""
    fields: dict[str, Any] = {"done": done, "total": total, "heartbeat_at": now or timezone.now()}
    if tally is not None:
        fields["outcome_changes"] = _job_changes(tally)
    if not _job_owned(job_id=job_id, run=run).update(**fields):
        raise JobSuperseded(job_id)


def criteria_job_batch_done(
    *,
    job_id: int,
    run: int,
    moved: int,
    changes: Counter[tuple[str, str]],
    dropped_answers: int,
    now: datetime.datetime | None = None,
) -> None:
    """Add one batch of a re-screen to the job's totals (intakes moved, outcome changes).

    Call it inside the batch's transaction: the totals then count exactly the intakes moved by
    every run, whatever interrupted one (a batch rolled back is not counted). Raises
    JobSuperseded, which rolls the batch back, when ``run`` no longer owns the job.
    """
    with transaction.atomic():
        job = criteria_job_lock(job_id=job_id, run=run)
        counts = Counter({(before, after): n for before, after, n in job.outcome_changes})
        counts.update(changes)
        job.outcome_changes = _change_rows(counts)
        job.moved += moved
        job.dropped_answers += dropped_answers
        job.heartbeat_at = now or timezone.now()
        job.save(update_fields=["outcome_changes", "moved", "dropped_answers", "heartbeat_at"])


def _change_rows(counts: Counter[tuple[str, str]]) -> list[list]:
    """[from, to, count], most frequent first (as a report's ``changes``)."""
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [[before, after, count] for (before, after), count in rows if count]


class JobReport(Protocol):
    """What a job finishes with (its kind's report, e.g. ``intake.rescreen.impact``'s)."""

    @property
    def changes(self) -> list[tuple[str, str, int]]:
        """(from, to, count) outcome changes, most frequent first."""
        ...

    def as_dict(self) -> dict[str, Any]:
        """The whole report as JSON, kept as the job's result for its progress page."""
        ...


def criteria_job_finish(
    *, job_id: int, run: int, report: JobReport, now: datetime.datetime | None = None
) -> JobReport:
    """Mark the job done with its report, and return the report kept.

    A re-screen's handler passes a report that counts the job's totals over every run
    (``criteria_job_batch_done``, read with ``criteria_job_lock`` in the same transaction).
    Raises JobSuperseded when ``run`` no longer owns the job.
    """
    with transaction.atomic():
        job = criteria_job_lock(job_id=job_id, run=run)
        job.status = CriteriaJobStatus.DONE
        job.result = report.as_dict()
        job.outcome_changes = [list(row) for row in report.changes]
        job.finished_at = now or timezone.now()
        job.save(update_fields=["status", "result", "outcome_changes", "finished_at"])
    return report


def criteria_job_fail(
    *, job_id: int, run: int, error: str, now: datetime.datetime | None = None
) -> bool:
    """Mark the job failed (``error`` is shown on its progress page: no patient data). False
    when ``run`` no longer owns the job."""
    return bool(
        _job_owned(job_id=job_id, run=run).update(
            status=CriteriaJobStatus.FAILED, error=error[:2000], finished_at=now or timezone.now()
        )
    )


def criteria_job_requeue(
    *,
    job_id: int,
    run: int | None = None,
    now: datetime.datetime | None = None,
    stall_seconds: float | None = None,
) -> CriteriaJob | None:
    """Put a stalled job back in the queue, to be resumed as its next run; the caller enqueues
    its task in the same transaction (``tasks.criteria_job_resume``).

    Stalled: running with no heartbeat for ``stall_seconds`` (``CRITERIA_JOB_STALL_SECONDS``).
    With ``run``, that run gives the job back itself (its worker is stopping), stalled or not.
    None when there is nothing to resume: the job is gone, finished, queued already, or
    running with a live worker.
    """
    now = now or timezone.now()
    if stall_seconds is None:
        stall_seconds = settings.CRITERIA_JOB_STALL_SECONDS
    with transaction.atomic():
        job = CriteriaJob.objects.select_for_update(of=("self",)).filter(pk=job_id).first()
        if job is None:
            return None
        if run is not None:
            if job.status != CriteriaJobStatus.RUNNING or job.runs != run:
                return None
        elif not job.is_stalled(now=now, seconds=stall_seconds):
            return None
        job.status = CriteriaJobStatus.QUEUED
        job.heartbeat_at = None
        job.save(update_fields=["status", "heartbeat_at"])
    return job
