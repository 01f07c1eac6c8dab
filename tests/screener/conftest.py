import pytest
from django.test import Client

from intake.services.accounts import roles_ensure
from tests.factories import CriteriaAdminFactory


@pytest.fixture
def cadmin(db):
    """A criteria admin whose group holds its permissions."""
    roles_ensure()
    return CriteriaAdminFactory()


@pytest.fixture
def client_admin(cadmin) -> Client:
    """A test client logged in as the criteria admin (``client`` stays free for others)."""
    client = Client()
    client.force_login(cadmin)
    return client
