"""``manage.py seed_benchmark --intakes N [--seed S] [--as-of YYYY-MM-DD]``: synthetic data.

Fills the current database with about N/2 patients and N intakes in a clinic's mix (drafts,
waiting, back for information, decided, edited after submission), each screened by the engine
under the published default criteria set (``benchmarks.seeding``). For benchmarks only: the rows
are synthetic, written in bulk, with no audit events (nobody read or changed a record). The
answer generator knows the default criteria set, so it lives with the benchmarks, not in
the app (tests/test_no_procedure_in_code.py).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from benchmarks.seeding import intakes_seed
from intake.models import Patient
from screener import selectors


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of: '{text}' is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = (
        "Fill the database with N synthetic intakes (about N/2 patients) screened under the "
        "published default criteria set, for benchmarks. Same --seed and --as-of, same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--intakes", type=int, required=True, help="how many intakes")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--as-of", default=None, help="the seeding's 'today', YYYY-MM-DD (default today)"
        )
        parser.add_argument("--batch-size", type=int, default=2000, help="intakes per insert")

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["intakes"]
        if count < 1:
            raise CommandError("--intakes must be at least 1.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        as_of = _date(options["as_of"]) if options["as_of"] else datetime.date.today()
        slug = settings.DEFAULT_CRITERIA_FIXTURES[0]
        try:
            procedure = selectors.procedure_by_slug(slug)
        except DatabaseError:
            procedure = None  # not migrated: the same advice
        criteria_set = selectors.newest_published_set(procedure) if procedure else None
        if criteria_set is None:
            raise CommandError(
                f"No published criteria set for '{slug}' in this database. Run "
                "`manage.py setup_demo` (or `manage.py migrate` and "
                f"`manage.py loaddata {slug}`) first."
            )
        seed = options["seed"]
        prefix = f"S{seed}-"
        if Patient.objects.filter(mrn__startswith=prefix).exists():
            raise CommandError(
                f"This database already has patients seeded with --seed {seed} (MRNs {prefix}…). "
                "Use another --seed or a fresh database."
            )
        self.stdout.write(
            f"Seeding {count:,} intakes under {criteria_set} (seed {seed}, as of {as_of})"
        )

        def progress(done: int, total: int) -> None:
            self.stderr.write(f"\r  {done:,}/{total:,} intakes", ending="")
            self.stderr.flush()

        report = intakes_seed(
            criteria_set=criteria_set,
            intakes=count,
            seed=seed,
            as_of=as_of,
            mrn_prefix=prefix,
            batch_size=options["batch_size"],
            progress=progress,
        )
        self.stderr.write("")
        # Fresh statistics and visibility map, as autovacuum would leave them after a while: the
        # planner then picks the indexes (and index-only scans) the pages are built on.
        # (VACUUM cannot run inside a transaction, as in the tests: ANALYZE alone there.)
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
        self.stdout.write(
            f"{report.patients:,} patients, {report.intakes:,} intakes, "
            f"{report.screenings:,} screenings, {report.decisions:,} decisions, "
            f"{report.emergency_actions:,} emergency actions in {report.seconds:.1f} s"
        )
        for title, counts in (
            ("status", report.statuses),
            ("outcome (latest screening)", report.outcomes),
            ("decision", report.decision_kinds),
        ):
            self.stdout.write(f"By {title}:")
            for name, number in sorted(counts.items(), key=lambda item: -item[1]):
                self.stdout.write(f"  {name:<25} {number:>9,}")
