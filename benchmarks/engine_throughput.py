"""Screenings per second: the engine alone, then `manage.py screen` on the same batch.

    .venv/bin/python benchmarks/engine_throughput.py [--cases 10000]

The engine part is pure Python on one core (no database). The command part runs
`manage.py screen` in a fresh process on a throw-away SQLite database holding the default set,
timing the whole run: start-up, JSON in, screening and JSON Lines out.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.cases import generate_cases  # noqa: E402
from screener import engine  # noqa: E402
from tests.criteria_data import default_spec  # noqa: E402


def engine_alone(cases: list[dict]) -> None:
    spec = default_spec()
    compiled = engine.compile_criteria(spec)
    typed = [
        (
            engine.parse_answers(spec, c["answers"], datetime.date.fromisoformat(c["as_of"])),
            datetime.date.fromisoformat(c["as_of"]),
        )
        for c in cases
    ]
    outcomes = collections.Counter()
    for answers, as_of in typed[:200]:  # warm-up
        engine.screen(compiled, answers, as_of)
    started = time.perf_counter()
    for answers, as_of in typed:
        outcomes[str(engine.screen(compiled, answers, as_of).outcome)] += 1
    screen_only = time.perf_counter() - started

    started = time.perf_counter()
    for case in cases:
        as_of = datetime.date.fromisoformat(case["as_of"])
        engine.screen(compiled, engine.parse_answers(spec, case["answers"], as_of), as_of)
    with_parsing = time.perf_counter() - started

    print(
        f"engine alone, screen():            {len(cases) / screen_only:>9,.0f} cases/s "
        f"({screen_only * 1e6 / len(cases):.0f} us each)"
    )
    print(f"engine alone, parse + screen():    {len(cases) / with_parsing:>9,.0f} cases/s")
    print("outcomes:", dict(sorted(outcomes.items())))


def command(cases: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cases_path = Path(folder) / "cases.json"
        cases_path.write_text(json.dumps(cases))
        env = os.environ | {
            "DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
        subprocess.run([*manage, "loaddata", "vertebroplasty", "-v0"], env=env, check=True)
        started = time.perf_counter()
        done = subprocess.run(
            [*manage, "screen", str(cases_path)], env=env, capture_output=True, check=True
        )
        elapsed = time.perf_counter() - started
        lines = done.stdout.decode().splitlines()
        assert len(lines) == len(cases), "one output line per case"
        started = time.perf_counter()
        subprocess.run([*manage, "check"], env=env, check=True, capture_output=True)
        startup = time.perf_counter() - started
    print(
        f"manage.py screen, whole run:       {len(cases) / elapsed:>9,.0f} cases/s "
        f"({elapsed:.2f} s for {len(cases):,} cases, of which about {startup:.2f} s "
        "is Django start-up)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    cases = generate_cases(default_spec(), args.cases)
    print(f"{args.cases:,} generated cases, Python {sys.version.split()[0]}, one process")
    engine_alone(cases)
    command(cases)


if __name__ == "__main__":
    main()
