"""``manage.py rescreen --procedure SLUG [--dry-run] [--workers N]``: move open intakes to the
newest version.

Open intakes (submitted or information requested) pinned to an older version of the procedure
are re-screened under its newest published version, with their original screening dates. A
progress bar goes to standard error; the table of outcome changes (the impact preview's) to
standard output. Running it again finds nothing to do. On PostgreSQL the engine runs in
``--workers`` processes (one per core by default; ``intake.rescreen.bulk``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from intake.rescreen.bulk import default_workers
from intake.rescreen.impact import format_report
from intake.rescreen.services import BATCH_SIZE, intakes_rescreen
from screener import selectors


class ProgressBar:
    """A one-line bar on a stream, redrawn in place (``\\r``)."""

    def __init__(self, stream: OutputWrapper, width: int = 30):
        self.stream = stream
        self.width = width

    def __call__(self, done: int, total: int, tally) -> None:
        filled = self.width if total == 0 else int(self.width * done / total)
        percent = 100 if total == 0 else int(100 * done / total)
        changed = sum(tally.counts.values())
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}% "
            f"{done:,}/{total:,} intakes, {changed:,} outcome changes",
            ending="\n" if done >= total else "",
        )
        self.stream.flush()


class Command(BaseCommand):
    help = "Re-screen open intakes pinned to older versions under the newest published one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--procedure", required=True, help="procedure slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would change; write nothing"
        )
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help="intakes per transaction"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="processes that run the engine (PostgreSQL; default: one per core)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        procedure = selectors.procedure_by_slug(options["procedure"])
        if procedure is None:
            raise CommandError(f"No procedure with the slug '{options['procedure']}'.")
        target = selectors.newest_published_set(procedure)
        if target is None:
            raise CommandError(f"{procedure.slug} has no published version to re-screen under.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        dry_run = options["dry_run"]
        report = intakes_rescreen(
            target=target,
            dry_run=dry_run,
            batch_size=options["batch_size"],
            progress=ProgressBar(self.stderr),
            workers=options["workers"],
        )
        if dry_run:
            self.stdout.write(f"Dry run: nothing was written. Re-screening under {target}:")
        elif report.evaluated:
            self.stdout.write(f"Re-screened and moved to {target}:")
        else:
            self.stdout.write(
                f"Nothing to do: no open intake is pinned to a version before {target}."
            )
            return
        self.stdout.write(format_report(report))
