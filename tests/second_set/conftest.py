"""A second, made-up procedure (a genicular nerve block of the knee) with its own questions, date
question, coding table and follow-up schedule: it goes through the whole app, proving that the
app knows no procedure."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from intake.services.accounts import roles_ensure
from screener.models import CriteriaSet
from tests.screener.conftest import cadmin  # noqa: F401 (a fixture)

KNEE_FIXTURE = Path(__file__).resolve().parent / "knee_block.json"
AS_OF = datetime.date(2025, 3, 14)
NOW = datetime.datetime(2025, 3, 14, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture
def knee_set(db) -> CriteriaSet:
    """The made-up set, published as version 1 (the default set is loaded too)."""
    roles_ensure()
    call_command("loaddata", str(KNEE_FIXTURE), verbosity=0)
    return CriteriaSet.objects.select_related("procedure").get(
        procedure__slug="knee_block", version=1
    )


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield
