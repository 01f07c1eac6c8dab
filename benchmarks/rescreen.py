"""`manage.py rescreen` time for 100,000 open intakes (issue 5; goal under 2 minutes on PG).

    .venv/bin/python benchmarks/rescreen.py \
        --database-url postgres://postgres@127.0.0.1:5432/screener_bench [--intakes 100000]

Creates the database named (dropped at the end), seeds it with screened intakes (90 % open,
10 % decided) under the default set, publishes a clone with nrs_outpatient_min 5 -> 7, then
times `manage.py rescreen --procedure vertebroplasty --dry-run` and the real run, each as a
whole process (start-up included), checks the result, and times a second run (nothing to do).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.criteria_seed import (  # noqa: E402
    bench_database,
    draft_with_threshold,
    seed_intakes,
)


def run(args: list[str], label: str) -> str:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - started
    print(f"  {label:<46} {elapsed:7.1f} s")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intakes", type=int, default=100_000, help="open share is 90 %%")
    parser.add_argument("--database-url", help="PostgreSQL URL (created, then dropped)")
    args = parser.parse_args()
    total = round(args.intakes / 0.9)
    with bench_database(args.database_url) as url:
        from django.db import connection

        print(f"database: {connection.vendor} ({url.split('@')[-1]})")
        statuses = seed_intakes(total, open_share=0.9)
        print(f"  intakes by status: {statuses}")
        from screener.services import criteria_set_publish

        criteria_set_publish(criteria_set=draft_with_threshold(7))
        connection.close()

        command = ["rescreen", "--procedure", "vertebroplasty"]
        dry = run([*command, "--dry-run"], "rescreen --dry-run (whole process)")
        real = run(command, "rescreen (whole process)")
        again = run(command, "rescreen again (nothing to do)")

        from intake.models import Intake, Screening, ScreeningKind

        open_count = statuses["submitted"] + statuses["info_requested"]
        moved = Intake.objects.filter(criteria_set__version=2).count()
        rescreens = Screening.objects.filter(kind=ScreeningKind.RESCREEN).count()
        assert moved == rescreens == open_count, (moved, rescreens, open_count)
        assert (
            Intake.objects.filter(status="decided", criteria_set__version=1).count()
            == (statuses["decided"])
        )
        assert again.startswith("Nothing to do"), again
        summary = real.split("Changed cases")[0].rstrip()
        print(
            f"  {open_count:,} open intakes re-screened and moved; {statuses['decided']:,} decided untouched"
        )
        print(
            f"  dry run table == real run table: {dry.split(chr(10), 1)[1].split('Changed cases')[0].rstrip() == summary.split(chr(10), 1)[1]}"
        )
        print(summary)


if __name__ == "__main__":
    main()
