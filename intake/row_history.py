"""Row history (django-simple-history) of the records whose edits must keep who and when:
patients, the answers and status of intakes, and the scheduling fields of decisions.

The history row's user is the request's user (``HistoryRequestMiddleware``); outside a request
(a management command) it is empty. Bulk operations (``bulk_update``, ``bulk_create``,
``QuerySet.update``) write no history rows: re-screening moves an intake to a newer criteria
set without touching its answers or status, and the benchmarks' seeds are not edits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from simple_history.models import HistoricalRecords


class TrackedHistory(HistoricalRecords):
    """History of the fields named in ``tracked``: a save that names ``update_fields`` none of
    which is tracked (the queue's assignment, the latest screening copied onto an intake) writes
    no history row, so the history lists edits only."""

    def __init__(self, *, tracked: Iterable[str] | None = None, **kwargs: Any) -> None:
        self.tracked = frozenset(tracked) if tracked is not None else None
        super().__init__(**kwargs)

    def finalize(self, sender: Any, **kwargs: Any) -> None:
        if sender is self.cls and self.tracked is not None:
            self.excluded_fields = [
                f.name
                for f in sender._meta.fields
                if not f.primary_key and f.name not in self.tracked
            ]
        super().finalize(sender, **kwargs)

    def post_save(self, instance: Any, created: bool, using: Any = None, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if (
            not created
            and self.tracked is not None
            and update_fields is not None
            and not self.tracked & set(update_fields)
        ):
            return
        super().post_save(instance, created, using=using, **kwargs)
