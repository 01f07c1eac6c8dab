"""Shared set-up of the criteria benchmarks: a throw-away database with many screened intakes.

``bench_database(url)`` creates the database (PostgreSQL: ``CREATE DATABASE``; SQLite: a temp
file), points Django at it, migrates and loads the default set; it drops the database after.
``seed_intakes`` bulk-creates screened intakes with varied answers through the shared seeder
(``benchmarks.seeding``, also behind ``manage.py seed_benchmark``).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = datetime.date(2025, 3, 14)


def _pg_admin(url: str):
    import psycopg

    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin_url, autocommit=True), parts.path.lstrip("/")


@contextlib.contextmanager
def bench_database(url: str | None) -> Iterator[str]:
    """A fresh database for one run (dropped afterwards); Django is set up against it."""
    folder = None
    if url is None:
        folder = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(folder.name) / 'bench.sqlite3'}"
    elif url.startswith("postgres"):
        connection, name = _pg_admin(url)
        with connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DJANGO_DEBUG"] = "0"  # no query log: it would hold every bulk insert
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("loaddata", "vertebroplasty", verbosity=0)
    try:
        yield url
    finally:
        from django.db import connections

        connections.close_all()
        if url.startswith("postgres"):
            connection, name = _pg_admin(url)
            with connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if folder is not None:
            folder.cleanup()


def seed_intakes(count: int, *, open_share: float = 0.9, chunk: int = 2000) -> dict[str, int]:
    """``count`` screened intakes under the default set (``benchmarks.seeding.intakes_seed``, one
    per patient, no drafts): ``open_share`` submitted or information requested, the rest
    decided. Returns counts by status."""
    from benchmarks.seeding import SeedMix, intakes_seed
    from screener.models import CriteriaSet

    default = CriteriaSet.objects.select_related("procedure").get(version=1)
    mix = SeedMix(
        draft=0.0,
        info_requested=open_share / 10,
        decided=1 - open_share,
        edited=0.0,
        intakes_per_patient=1.0,
    )

    def progress(done: int, total: int) -> None:
        print(f"\r  seeded {done:,}/{total:,} intakes", end="", flush=True)

    report = intakes_seed(
        criteria_set=default,
        intakes=count,
        seed=20250314,
        as_of=AS_OF,
        mix=mix,
        mrn_prefix="BENCH",
        batch_size=chunk,
        progress=progress,
    )
    print(f" ({report.seconds:.0f} s)")
    return {str(k): v for k, v in report.statuses.items() if k != "draft"}


def draft_with_threshold(value: int = 7):
    """The issue's example change: a clone of the default set with nrs_outpatient_min raised,
    its one failing golden case updated (so it can be published)."""
    from screener.models import CriteriaSet
    from screener.services import criteria_set_clone

    default = CriteriaSet.objects.get(version=1)
    draft = criteria_set_clone(criteria_set=default, notes=f"nrs_outpatient_min {value}")
    draft.parameter_set.filter(name="nrs_outpatient_min").update(value=value)
    draft.goldencase_set.filter(name="ex-stable-two-findings-on-warfarin").update(
        expected_outcome="conservative"
    )
    return draft
