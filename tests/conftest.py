import pytest
from django.core.management import call_command

from screener import adapters


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database starts as `make run` leaves it: the default criteria set loaded."""
    with django_db_blocker.unblock():
        call_command("loaddata", "vertebroplasty", verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_criteria_cache():
    """Compiled sets are cached by (procedure, version); tests build many with the same key."""
    adapters.clear_cache()
    yield
    adapters.clear_cache()


@pytest.fixture
def default_set(db):
    """The published default criteria set (reloaded if a transactional test flushed it)."""
    from screener.models import CriteriaSet

    found = CriteriaSet.objects.select_related("procedure").filter(
        procedure__slug="vertebroplasty", version=1
    )
    if not found.exists():
        call_command("loaddata", "vertebroplasty", verbosity=0)
    return found.get()
