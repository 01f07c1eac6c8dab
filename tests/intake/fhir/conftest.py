import pytest

BASE = "https://clinic.example/fhir"


@pytest.fixture(autouse=True)
def _base(settings):
    settings.FHIR_CANONICAL_BASE = BASE + "/"


from tests.screener.conftest import cadmin, client_admin  # noqa: E402, F401 (fixtures)
from tests.second_set.conftest import knee_set  # noqa: E402, F401 (a fixture)
