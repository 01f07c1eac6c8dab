"""Guards for raw saves: ``loaddata`` writes with ``save_base(raw=True)``, bypassing ``save``.

Normal saves are guarded in the models' ``save``; these receivers cover only raw ones, so a
fixture can create a new set but never change a published one.
"""

from typing import Any

from django.db.models.signals import pre_save
from django.dispatch import receiver

from screener import models


@receiver(pre_save, sender=models.CriteriaSet)
def guard_raw_criteria_set(sender: type, instance: models.CriteriaSet, raw: bool, **kwargs: Any):
    if raw:
        models.guard_criteria_set_write(instance)


def guard_raw_item(sender: type, instance: models.CriteriaItem, raw: bool, **kwargs: Any):
    if raw:
        models.guard_item_write(instance)


for item_model in (
    models.Question,
    models.Parameter,
    models.DerivedValue,
    models.Rule,
    models.CodingRow,
    models.DiagnosisCode,
    models.FollowUpVisit,
    models.ContentBlock,
    models.GoldenCase,
):
    pre_save.connect(guard_raw_item, sender=item_model, dispatch_uid=f"raw-{item_model.__name__}")
