import datetime

import pytest
import time_machine

from intake.services.accounts import roles_ensure
from tests.authorization.sample_content import sample_packet_content

# Frozen: "today" for the planned-date flags and the packets' times.
NOW = datetime.datetime(2025, 3, 20, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def roles(db):
    """The groups with their permissions, as `make run` creates them (the database tests use
    it; the PDF and bundle tests need no database)."""
    return roles_ensure()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def packet_content():
    """A candidate's attested packet with one gap and two documents (a PDF and a PNG)."""
    return sample_packet_content()
