"""``manage.py bench [--url URL] [--duration S] [--connections N] [--json-only] [--rescreen]``:
the pages under load against the production server, and the in-process figures (issue 12).

Thin: the bench lives in ``benchmarks/bench.py`` (it knows the default set's parameters, so it
is not app code; tests/test_no_procedure_in_code.py). Prints one table, then one JSON line with
every figure; exits non-zero when a page did not answer as it should (a redirect to the login
page is a failure, not a fast page).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks import bench


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Load the pages with wrk against the production server (started here unless --url "
        "names a running one on this machine) and measure the in-process figures; one table "
        "and one JSON line. Needs a seeded database (DATABASE_URL, manage.py seed_benchmark)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            help="a running server on this machine (loopback only); it must share this "
            "process's DATABASE_URL and DJANGO_SECRET_KEY. Default: start gunicorn here",
        )
        parser.add_argument(
            "--duration", type=_positive, default=5, help="seconds per page (and per /healthz)"
        )
        parser.add_argument(
            "--connections", type=_positive, default=8, help="concurrent connections (default 8)"
        )
        parser.add_argument(
            "--workers", type=_positive, default=2, help="gunicorn workers of the server started"
        )
        parser.add_argument("--json-only", action="store_true", help="print only the JSON line")
        parser.add_argument(
            "--rescreen",
            action="store_true",
            help="also time `rescreen` of every open intake: publishes a new criteria version",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["json_only"]

        def say(text: str) -> None:
            if not quiet:
                self.stderr.write(text)

        try:
            figures = bench.run(
                bench.BenchOptions(
                    url=options["url"],
                    duration=options["duration"],
                    connections=options["connections"],
                    workers=options["workers"],
                    rescreen=options["rescreen"],
                ),
                say,
            )
        except bench.BenchError as exc:
            raise CommandError(str(exc)) from None
        if not quiet:
            self.stdout.write(bench.table(figures))
            self.stdout.write("")
        self.stdout.write(json.dumps(figures, separators=(",", ":")))
        if not figures["all_pages_ok"]:
            raise CommandError("Some pages did not answer as they should (see FAILED above).")
