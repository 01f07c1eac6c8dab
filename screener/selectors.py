"""Reads of criteria sets."""

from __future__ import annotations

from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from screener.impact import IntakeRow
from screener.models import CriteriaChange, CriteriaSet, CriteriaSetStatus, Procedure


def procedure_by_slug(slug: str) -> Procedure | None:
    return Procedure.objects.filter(slug=slug).first()


def newest_published_set(procedure: Procedure) -> CriteriaSet | None:
    """The set new intakes of a procedure are screened under."""
    return (
        CriteriaSet.objects.filter(procedure=procedure, status=CriteriaSetStatus.PUBLISHED)
        .select_related("procedure")
        .order_by("-version")
        .first()
    )


def criteria_set_by_version(procedure: Procedure, version: int) -> CriteriaSet | None:
    return (
        CriteriaSet.objects.filter(procedure=procedure, version=version)
        .select_related("procedure")
        .first()
    )


def criteria_sets_of(procedure: Procedure) -> QuerySet[CriteriaSet]:
    """Every version of a procedure, newest first."""
    return CriteriaSet.objects.filter(procedure=procedure).order_by("-version")


def criteria_changes_of(criteria_set: CriteriaSet) -> QuerySet[CriteriaChange]:
    """The set's change log, newest first."""
    return criteria_set.changes.select_related("user").order_by("-at", "-id")


# ------------------------------------------------------------------------------------------
# Intakes as rows for impact preview and re-screen (bulk reads; no model instances)

_ROW_FIELDS = (
    "id",
    "answers",
    "patient__date_of_birth",
    "latest_screening__as_of",
    "latest_screening_id",
    "latest_screening__outcome",
    "criteria_set__version",
    "submitted_at",
    "created_at",
)


def _row(values: tuple) -> IntakeRow:
    (intake_id, answers, dob, as_of, screening_id, outcome, version, submitted, created) = values
    if as_of is None:  # never screened: the day it was submitted (or started)
        as_of = timezone.localdate(submitted or created)
    return IntakeRow(intake_id, answers, dob, as_of, screening_id, outcome or "", version)


def submitted_intake_rows(*, procedure: Procedure, limit: int) -> list[IntakeRow]:
    """The last ``limit`` submitted intakes of a procedure that have a screening."""
    from intake.models import Intake, IntakeStatus

    found = (
        Intake.objects.filter(procedure=procedure, latest_screening__isnull=False)
        .exclude(status=IntakeStatus.DRAFT)
        .order_by("-submitted_at", "-id")
        .values_list(*_ROW_FIELDS)[:limit]
    )
    return [_row(values) for values in found.iterator(chunk_size=2000)]


def older_set_ids(target: CriteriaSet) -> list[int]:
    """Ids of the versions of the target's procedure older than it."""
    return list(
        CriteriaSet.objects.filter(
            procedure_id=target.procedure_id, version__lt=target.version
        ).values_list("id", flat=True)
    )


def open_intakes_to_rescreen(target: CriteriaSet, set_ids: list[int] | None = None):
    """Open intakes (submitted or information requested: no final decision) pinned to an
    older version of the target's procedure. Drafts and decided intakes are never included."""
    from intake.models import Intake, IntakeStatus

    if set_ids is None:
        set_ids = older_set_ids(target)
    return Intake.objects.filter(
        criteria_set_id__in=set_ids,
        status__in=[IntakeStatus.SUBMITTED, IntakeStatus.INFO_REQUESTED],
    )


def intake_rows(queryset) -> list[IntakeRow]:
    """Rows of the intakes of a queryset (which may lock them: ``select_for_update``)."""
    return [_row(values) for values in queryset.values_list(*_ROW_FIELDS)]


def next_version(procedure: Procedure) -> int:
    """The version number a new set of the procedure gets."""
    newest = CriteriaSet.objects.filter(procedure=procedure).aggregate(Max("version"))
    return (newest["version__max"] or 0) + 1


def rescreen_counts(target: CriteriaSet) -> list[tuple[int, int]]:
    """(older version, open intakes pinned to it) that a re-screen under ``target`` would move."""
    return list(
        open_intakes_to_rescreen(target)
        .values_list("criteria_set__version")
        .annotate(count=Count("id"))
        .order_by("criteria_set__version")
    )
