"""Shared set-up of the criteria benchmarks: a throw-away database with many screened intakes.

``bench_database(url)`` creates the database (PostgreSQL: ``CREATE DATABASE``; SQLite: a temp
file), points Django at it, migrates and loads the default set; it drops the database after.
``seed_intakes`` bulk-creates submitted intakes with varied answers (``benchmarks/cases.py``),
each with a real screening under the default set, as the front desk would leave them.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
import tempfile
import time
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
    """``count`` screened intakes under the default set: ``open_share`` submitted or
    information requested, the rest decided. Returns counts by status."""
    from django.utils import timezone

    from benchmarks.cases import generate_cases
    from intake.models import Intake, IntakeStatus, Patient, Screening, ScreeningKind
    from intake.rescreen.impact import screen_row
    from intake.rescreen.selectors import IntakeRow
    from intake.rescreen.services import _move_intakes
    from screener import adapters
    from screener.models import CriteriaSet

    default = CriteriaSet.objects.select_related("procedure").get(version=1)
    compiled = adapters.compiled_criteria(default)
    cases = generate_cases(compiled.spec, count)
    statuses = {IntakeStatus.SUBMITTED: 0, IntakeStatus.INFO_REQUESTED: 0, IntakeStatus.DECIDED: 0}
    started = time.perf_counter()
    for start in range(0, count, chunk):
        part = cases[start : start + chunk]
        patients = Patient.objects.bulk_create(
            Patient(
                mrn=f"BENCH{start + i:07d}",
                first_name="Bench",
                last_name=f"Patient{start + i}",
                first_name_key="bench",
                last_name_key=f"patient{start + i}",
                date_of_birth=datetime.date(2025 - case["answers"].get("age_years", 70), 1, 1),
            )
            for i, case in enumerate(part)
        )
        intakes = []
        for i, (patient, case) in enumerate(zip(patients, part, strict=True)):
            n = start + i
            if n % 100 >= open_share * 100:
                status = IntakeStatus.DECIDED
            elif n % 10 == 9:
                status = IntakeStatus.INFO_REQUESTED
            else:
                status = IntakeStatus.SUBMITTED
            statuses[status] += 1
            submitted = timezone.make_aware(
                datetime.datetime.combine(AS_OF, datetime.time(8)) + datetime.timedelta(seconds=n)
            )
            intakes.append(
                Intake(
                    patient=patient,
                    procedure=default.procedure,
                    criteria_set=default,
                    status=status,
                    answers=case["answers"],
                    submitted_at=submitted,
                )
            )
        Intake.objects.bulk_create(intakes)
        screenings = []
        for intake in intakes:
            row = IntakeRow(
                intake.pk,
                intake.answers,
                intake.patient.date_of_birth,
                intake.patient.sex,
                AS_OF,
                None,
                "",
                1,
            )
            result, screened, _invalid = screen_row(
                compiled, row, adapters.app_filled_questions(default)
            )
            screenings.append(
                Screening(
                    intake=intake,
                    criteria_set=default,
                    kind=ScreeningKind.SUBMISSION,
                    as_of=AS_OF,
                    answers=screened,
                    **adapters.stored_result(result),
                )
            )
        Screening.objects.bulk_create(screenings)
        # The re-screen's own bulk move: each intake points at its screening.
        _move_intakes(target=default, screenings=screenings, now=timezone.now())
        print(f"\r  seeded {min(start + chunk, count):,}/{count:,} intakes", end="", flush=True)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would have, in a database in use
    print(f" ({time.perf_counter() - started:.0f} s)")
    return {str(k): v for k, v in statuses.items()}


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
