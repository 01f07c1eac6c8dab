import pytest

from intake.services.accounts import roles_ensure


@pytest.fixture(autouse=True)
def _roles(db):
    """The three groups with their permissions, as `make run` creates them."""
    roles_ensure()
