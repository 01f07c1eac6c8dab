import os

import pytest
from django.core.management import call_command
from django.db import connection

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


# ------------------------------------------------------------------------------------------
# Row-lock tests: `postgres_only` runs on PostgreSQL only. SQLite serialises writes, so a race
# cannot happen there and SELECT ... FOR UPDATE is not even sent: on SQLite these tests are
# skipped and the run ends with a banner saying so. With REQUIRE_POSTGRES_TESTS=1 (CI's
# PostgreSQL run) any skip of one is a failure instead, so they can never be skipped quietly.

POSTGRES_ONLY = "postgres_only"
REQUIRE_POSTGRES_ENV = "REQUIRE_POSTGRES_TESTS"
_NOT_RUN = pytest.StashKey[list[str]]()  # node ids of row-lock tests skipped
_REFUSED = pytest.StashKey[list[str]]()  # node ids of row-lock skips turned into failures


def _postgres_required() -> bool:
    return os.environ.get(REQUIRE_POSTGRES_ENV, "") not in ("", "0")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{POSTGRES_ONLY}: a row-lock test that needs PostgreSQL; skipped (and counted in a "
        f"banner) on SQLite, a failure when {REQUIRE_POSTGRES_ENV}=1",
    )
    config.stash[_NOT_RUN] = []
    config.stash[_REFUSED] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=f"row locks need PostgreSQL; this run uses {connection.vendor}")
    for item in items:
        if item.get_closest_marker(POSTGRES_ONLY):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Counts skipped row-lock tests; when they are required, turns each skip into a failure
    (whatever skipped it: the marker, a skipif, or pytest.skip in the test)."""
    report = yield
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and item.get_closest_marker(POSTGRES_ONLY)
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        reason = str(reason).removeprefix("Skipped: ")
        if _postgres_required():
            report.outcome = "failed"
            report.longrepr = (
                f"{REQUIRE_POSTGRES_ENV}=1 but this row-lock test was skipped ({reason}); "
                "run the suite on PostgreSQL (DATABASE_URL=postgres://...)."
            )
            item.config.stash[_REFUSED].append(item.nodeid)
        else:
            item.config.stash[_NOT_RUN].append(item.nodeid)
    return report


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    not_run, refused = config.stash.get(_NOT_RUN, []), config.stash.get(_REFUSED, [])
    if not (not_run or refused):
        return
    reporter = terminalreporter
    if refused:
        reporter.write_sep(
            "!", f"{len(refused)} ROW-LOCK TESTS WERE SKIPPED: THIS RUN FAILS", red=True, bold=True
        )
        reporter.write_line(
            f"{REQUIRE_POSTGRES_ENV}=1 says they must run, and on {connection.vendor} they did "
            "not. Point DATABASE_URL at PostgreSQL.",
            red=True,
        )
    else:
        reporter.write_sep(
            "!", f"{len(not_run)} ROW-LOCK TESTS DID NOT RUN", yellow=True, bold=True
        )
        reporter.write_line(
            f"They need PostgreSQL (real concurrent transactions and SELECT ... FOR UPDATE); "
            f"this run used {connection.vendor}. Double submits, concurrent decisions and "
            "concurrent registrations are NOT tested by this run.",
            yellow=True,
        )
        reporter.write_line(
            "Run them: DATABASE_URL=postgres://postgres@127.0.0.1:5432/screener make test "
            f"(CI's .ci/run does, with {REQUIRE_POSTGRES_ENV}=1).",
            yellow=True,
        )
    for nodeid in refused or not_run:
        reporter.write_line(f"  {nodeid}")
    reporter.write_sep("!", bold=True)


@pytest.fixture
def roles(db):
    """The three groups with their permissions, as `make run` creates them."""
    from intake.services.accounts import roles_ensure

    return roles_ensure()


@pytest.fixture
def documents_dir(monkeypatch, tmp_path):
    """Attached documents (``IntakeDocument.file``) stored in this test's own directory. The
    model's field holds its storage from start-up (Django resolves a callable storage once), so
    the field's storage is replaced rather than the STORAGES setting."""
    from intake.documents.storage import PrivateDocumentStorage
    from intake.models import IntakeDocument

    location = tmp_path / "documents"
    field = IntakeDocument._meta.get_field("file")
    monkeypatch.setattr(field, "storage", PrivateDocumentStorage(location=location))
    return location
