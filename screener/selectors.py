"""Reads of criteria sets."""

from __future__ import annotations

from screener.models import CriteriaSet, CriteriaSetStatus, Procedure


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
