"""Writes of criteria sets: clone a draft, check it, publish it, retire it."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from screener import adapters, engine
from screener.models import (
    ContentBlock,
    CriteriaSet,
    CriteriaSetStatus,
    DerivedValue,
    Parameter,
    Question,
    Rule,
)

# Every part of a set, copied by a clone.
ITEM_MODELS = (Question, Parameter, DerivedValue, Rule, ContentBlock)


def criteria_set_check(criteria_set: CriteriaSet) -> list[engine.CriteriaProblem]:
    """Every problem of the set's expressions and definitions (empty when it can be used)."""
    return engine.check_criteria(adapters.criteria_spec(criteria_set))


@transaction.atomic
def criteria_set_clone(*, criteria_set: CriteriaSet, notes: str = "") -> CriteriaSet:
    """A full copy of a set as a new draft with the procedure's next version number."""
    procedure_sets = CriteriaSet.objects.select_for_update().filter(
        procedure_id=criteria_set.procedure_id
    )
    next_version = (procedure_sets.aggregate(Max("version"))["version__max"] or 0) + 1
    draft = CriteriaSet(
        procedure_id=criteria_set.procedure_id,
        version=next_version,
        status=CriteriaSetStatus.DRAFT,
        notes=notes or f"Draft cloned from version {criteria_set.version}.",
        cpt_primary_thoracic=criteria_set.cpt_primary_thoracic,
        cpt_primary_lumbar=criteria_set.cpt_primary_lumbar,
        cpt_addon=criteria_set.cpt_addon,
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
    return draft


class PublishRefused(ValidationError):
    """Publishing was refused; ``messages`` lists why."""


@transaction.atomic
def criteria_set_publish(
    *, criteria_set: CriteriaSet, now: datetime.datetime | None = None
) -> CriteriaSet:
    """Publish a draft once every expression checks. Retires nothing: older versions stay."""
    locked = (
        CriteriaSet.objects.select_for_update().select_related("procedure").get(pk=criteria_set.pk)
    )
    if locked.status != CriteriaSetStatus.DRAFT:
        raise PublishRefused(f"{locked} is already {locked.status}.")
    problems = criteria_set_check(locked)
    if problems:
        raise PublishRefused([str(problem) for problem in problems])
    locked.status = CriteriaSetStatus.PUBLISHED
    locked.published_at = now or timezone.now()
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def criteria_set_retire(
    *, criteria_set: CriteriaSet, now: datetime.datetime | None = None
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
    return locked
