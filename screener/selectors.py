"""Reads of criteria sets."""

from __future__ import annotations

from django.db.models import Max, QuerySet

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


def older_set_ids(target: CriteriaSet) -> list[int]:
    """Ids of the versions of the target's procedure older than it."""
    return list(
        CriteriaSet.objects.filter(
            procedure_id=target.procedure_id, version__lt=target.version
        ).values_list("id", flat=True)
    )


def next_version(procedure: Procedure) -> int:
    """The version number a new set of the procedure gets."""
    newest = CriteriaSet.objects.filter(procedure=procedure).aggregate(Max("version"))
    return (newest["version__max"] or 0) + 1
