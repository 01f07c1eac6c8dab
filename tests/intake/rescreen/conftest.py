# The criteria admin and its client, as the criteria set admin's own tests use them.
from tests.screener.conftest import cadmin, client_admin  # noqa: F401
