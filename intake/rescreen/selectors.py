"""Reads of intakes for impact preview and re-screen: bulk rows, never model instances."""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from django.db.models import Count, QuerySet
from django.utils import timezone

from intake.models import Intake, IntakeStatus, Screening
from screener.models import CriteriaSet, Procedure
from screener.selectors import older_set_ids


class IntakeRow(NamedTuple):
    """What re-screening one intake needs, read in bulk (no model instances)."""

    intake_id: int
    answers: dict[str, Any]
    date_of_birth: datetime.date | None
    sex: str | None
    as_of: datetime.date
    screening_id: int | None
    outcome: str
    version: int  # of the set the current screening was made under


_ROW_FIELDS = (
    "id",
    "answers",
    "patient__date_of_birth",
    "patient__sex",
    "latest_screening__as_of",
    "latest_screening_id",
    "latest_screening__outcome",
    "criteria_set__version",
    "submitted_at",
    "created_at",
)


def _row(values: tuple) -> IntakeRow:
    (intake_id, answers, dob, sex, as_of, screening_id, outcome, version, submitted, created) = (
        values
    )
    if as_of is None:  # never screened: the day it was submitted (or started)
        as_of = timezone.localdate(submitted or created)
    return IntakeRow(intake_id, answers, dob, sex, as_of, screening_id, outcome or "", version)


def latest_submitted_intakes(*, procedure: Procedure) -> QuerySet[Intake]:
    """A procedure's submitted (not draft) intakes that have a screening, latest first: read
    in the order of the partial index ``intake_latest_submitted_idx``, so the last N of a
    million are N index entries, not a sort of the procedure's every intake."""
    return (
        Intake.objects.filter(procedure=procedure, latest_screening__isnull=False)
        .exclude(status=IntakeStatus.DRAFT)
        .order_by("-submitted_at", "-id")
    )


def submitted_intake_rows(*, procedure: Procedure, limit: int) -> list[IntakeRow]:
    """The last ``limit`` submitted intakes of a procedure that have a screening."""
    found = latest_submitted_intakes(procedure=procedure).values_list(*_ROW_FIELDS)[:limit]
    return [_row(values) for values in found.iterator(chunk_size=2000)]


def open_intakes_to_rescreen(
    target: CriteriaSet, set_ids: list[int] | None = None
) -> QuerySet[Intake]:
    """Open intakes (submitted or information requested: no final decision) pinned to an
    older version of the target's procedure. Drafts and decided intakes are never included."""
    if set_ids is None:
        set_ids = older_set_ids(target)
    return Intake.objects.filter(
        criteria_set_id__in=set_ids,
        status__in=[IntakeStatus.SUBMITTED, IntakeStatus.INFO_REQUESTED],
    )


def intake_rows(queryset: QuerySet[Intake]) -> list[IntakeRow]:
    """Rows of the intakes of a queryset (which may lock them: ``select_for_update``)."""
    return [_row(values) for values in queryset.values_list(*_ROW_FIELDS)]


def rescreen_counts(target: CriteriaSet) -> list[tuple[int, int]]:
    """(older version, open intakes pinned to it) that a re-screen under ``target`` would move."""
    return list(
        open_intakes_to_rescreen(target)
        .values_list("criteria_set__version")
        .annotate(count=Count("id"))
        .order_by("criteria_set__version")
    )


def earlier_rule_results(screening_ids: list[int]) -> dict[int, list[dict]]:
    """Rule results of earlier screenings, by screening id (read in chunks)."""
    found: dict[int, list[dict]] = {}
    for start in range(0, len(screening_ids), 1000):
        chunk = screening_ids[start : start + 1000]
        found.update(Screening.objects.filter(pk__in=chunk).values_list("id", "rule_results"))
    return found


def intake_patients(intake_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """(last name, first name, MRN) of each intake's patient, by intake id: for users who may
    see patients (the impact preview names them to physicians only)."""
    return {
        intake_id: (last, first, mrn)
        for intake_id, last, first, mrn in Intake.objects.filter(pk__in=intake_ids).values_list(
            "id", "patient__last_name", "patient__first_name", "patient__mrn"
        )
    }
