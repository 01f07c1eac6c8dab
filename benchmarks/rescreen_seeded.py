"""`manage.py rescreen` of every open intake of a seeded PostgreSQL database, repeatable.

    .venv/bin/python benchmarks/rescreen_seeded.py --template bench_100k --run bench_rescreen \
        [-- --workers 1]

A re-screen moves every open intake to a new version, so it can be timed once per database:
this copies the seeded database ``--template`` (``manage.py seed_benchmark``; nobody may be
connected to it) to ``--run`` (dropped first if it exists, left afterwards for inspection),
publishes a clone of the newest version with one parameter moved (``bench.bench_draft``, as
``manage.py bench --rescreen`` does), then times ``manage.py rescreen`` as a whole process
(start-up included). Arguments after ``--`` go to the command. Prints the open intakes, the
time and the rate, and checks that every open intake moved with exactly one new screening.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = ["-h", "127.0.0.1", "-U", "postgres"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", required=True, help="the seeded database (copied)")
    parser.add_argument("--run", required=True, help="the copy to re-screen (replaced)")
    parser.add_argument("command_args", nargs="*", help="after --: rescreen's own options")
    args = parser.parse_args()
    subprocess.run(["dropdb", *PG, "--if-exists", args.run], check=True)
    subprocess.run(["createdb", *PG, "-T", args.template, args.run], check=True)
    url = f"postgres://postgres@127.0.0.1:5432/{args.run}"
    env = os.environ | {
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection

    from benchmarks.bench import _published_set, bench_draft
    from intake.models import Intake, IntakeStatus, Screening, ScreeningKind
    from screener import services

    draft = bench_draft(_published_set())
    open_intakes = Intake.objects.filter(
        procedure=draft.procedure, status__in=(IntakeStatus.SUBMITTED, IntakeStatus.INFO_REQUESTED)
    )
    count = open_intakes.count()
    rescreens_before = Screening.objects.filter(kind=ScreeningKind.RESCREEN).count()
    services.criteria_set_publish(criteria_set=draft)
    connection.close()
    load = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server = ServerCpu(args.run)
    server.start()
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "rescreen",
            "--procedure",
            draft.procedure.slug,
            *args.command_args,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    server.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    command_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(done.stdout.split("\n\n")[1] if "\n\n" in done.stdout else done.stdout)
    moved = open_intakes.filter(criteria_set=draft).count()
    rescreens = Screening.objects.filter(kind=ScreeningKind.RESCREEN).count() - rescreens_before
    assert moved == rescreens == count, (moved, rescreens, count)
    print(
        f"rescreen {' '.join(args.command_args)}: {count:,} open intakes in {seconds:.1f} s "
        f"({count / seconds:,.0f} a second); load average before {load[0]:.2f}, "
        f"after {os.getloadavg()[0]:.2f}"
    )
    print(
        f"CPU: the command and its workers {command_cpu:.1f} s, its PostgreSQL backend "
        f"{server.seconds:.1f} s (sampled; the rest of the server, WAL writer and checkpoints, "
        "not counted)"
    )


class ServerCpu(threading.Thread):
    """CPU seconds of the server processes connected to one database, sampled from /proc
    (Linux; the last sample before each process ends)."""

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.last: dict[int, float] = {}
        self.done = threading.Event()

    @property
    def seconds(self) -> float:
        return sum(self.last.values())

    def run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self.done.wait(0.25):
            pids = subprocess.run(
                [
                    "psql",
                    *PG,
                    "-d",
                    "postgres",
                    "-Atc",
                    "SELECT pid FROM pg_stat_activity WHERE datname = "
                    f"'{self.database}' AND pid <> pg_backend_pid()",
                ],
                capture_output=True,
                text=True,
            ).stdout.split()
            for pid in map(int, pids):
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.last[pid] = (int(fields[11]) + int(fields[12])) / tick

    def stop(self) -> None:
        self.done.set()
        self.join()


if __name__ == "__main__":
    main()
