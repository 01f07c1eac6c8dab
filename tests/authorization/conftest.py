import datetime

import pytest
import time_machine

from intake.services.accounts import roles_ensure

# Frozen: "today" for the planned-date flags and the packets' times.
NOW = datetime.datetime(2025, 3, 20, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _roles(db):
    """The groups with their permissions, as `make run` creates them."""
    roles_ensure()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW
