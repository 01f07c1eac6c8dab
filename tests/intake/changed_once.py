"""What the "changed once" trigger (``intake.triggers.changed_once_guard``) refuses below Python,
asserted the same way for every record it keeps: documents, answer entries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction


def _refused(statement: str, params: list[Any], match: str) -> None:
    with (
        pytest.raises(IntegrityError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, params)


def assert_changed_only_once(
    *,
    pk: int,
    refused: tuple[str, ...],
    instead: str,
    change: str,
    change_params: list[Any],
    change_again: str,
) -> None:
    """Each of the ``refused`` statements (a DELETE, an UPDATE of another column) fails with
    "cannot be deleted/changed; <instead>"; the one allowed ``change`` passes; after it,
    ``change_again`` fails with "cannot be changed". Statements take the row's id last."""
    for statement in refused:
        _refused(statement, [pk], rf"cannot be \w+; {instead}")
    with connection.cursor() as cursor:
        cursor.execute(change, [*change_params, pk])
    _refused(change_again, [pk], "cannot be changed")
