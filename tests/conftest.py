import pytest
from django.core.management import call_command

from screener import adapters


@pytest.fixture(autouse=True)
def _fresh_criteria_cache():
    """Compiled sets are cached by (procedure, version); tests build many with the same key."""
    adapters.clear_cache()
    yield
    adapters.clear_cache()


@pytest.fixture
def default_set(db):
    """The published default criteria set, loaded from the fixture as `make run` loads it."""
    from screener.models import CriteriaSet

    call_command("loaddata", "vertebroplasty", verbosity=0)
    return CriteriaSet.objects.select_related("procedure").get(
        procedure__slug="vertebroplasty", version=1
    )
