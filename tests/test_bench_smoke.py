"""``manage.py bench`` end to end at 200 intakes: the production server started by the bench,
every page loaded by wrk for a second, every response the page's own, and the JSON line whole.

The benchmark itself is not part of ``make test`` (it takes minutes and wants a big database);
this smoke run is. It needs Debian's ``wrk``: skipped with the reason when it is missing, a
failure when ``CI_REQUIRE_BROWSER=1`` (CI installs it with Chromium, ``.ci/run``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from benchmarks import bench

ROOT = Path(__file__).resolve().parent.parent
PAGES = (
    "queue default",
    "queue filtered (an outcome)",
    "queue deep page",
    "queue search (a surname)",
    "patients list",
    "patients search (a surname)",
    "needs-information list",
    "case view",
    "intake form (GET)",
    "draft save (POST)",
    "submit (POST)",
    "decide (POST)",
    "result page",
)


def _require_wrk() -> None:
    if shutil.which("wrk"):
        return
    reason = f"wrk is not installed ({bench.WRK_INSTALL})"
    if os.environ.get("CI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"the bench smoke run cannot run: {reason} (CI_REQUIRE_BROWSER=1)")
    pytest.skip(f"BENCH SMOKE RUN SKIPPED: {reason}")


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A database the server can see: on PostgreSQL when the suite runs there (a new database
    beside the suite's, dropped after), else a temporary SQLite file."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        with tempfile.TemporaryDirectory(prefix="bench-smoke-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    import psycopg

    parts = urlsplit(url)
    name = f"bench_smoke_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_bench_runs_every_page_end_to_end_at_200_intakes():
    """Seeded with 200 intakes, `bench --duration 1` starts the production server, loads every
    page with only the page's own responses, and prints one JSON line with every figure."""
    _require_wrk()
    started = time.monotonic()
    with fresh_database() as url:
        env = os.environ | {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        env.pop("DJANGO_SECRET_KEY", None)
        manage("migrate", "-v0", env=env)
        manage("loaddata", "vertebroplasty", "-v0", env=env)
        manage("seed_benchmark", "--intakes", "200", env=env)
        # Two connections: the run checks the plumbing, not the speed, on a busy machine too.
        output = manage(
            "bench", "--duration", "1", "--connections", "2", "--json-only", env=env, timeout=240
        )
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    figures = json.loads(lines[0])
    names = [page["page"] for page in figures["pages"]]
    assert [name.split(" (")[0] if name.startswith("queue deep") else name for name in names] == [
        *PAGES
    ]
    for page in figures["pages"]:
        assert page["all_ok"], page
        assert page["rps"] > 0 and page["healthz_rps"] > 0, page
        assert page["bad_responses"] == page["exhausted"] == page["socket_errors"] == 0, page
    assert figures["all_pages_ok"] is True
    assert figures["environment"]["intakes"] == 200
    assert figures["environment"]["cores"] == os.cpu_count()
    inproc = figures["in_process"]
    assert inproc["engine_screenings_per_cpu_second"] > 0
    assert inproc["impact_preview_500"]["intakes"] > 0
    assert inproc["csv_export_all"]["rows"] > 0
    assert inproc["worker_impact_10000"]["job_status"] == "done"
    assert inproc["worker_impact_10000"]["peak_rss_mb"] > 0
    assert inproc["rescreen_open"] is None  # only with --rescreen
    print(f"bench smoke run: {time.monotonic() - started:.1f} s")


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5:8000", "http://example.org", "https://192.168.1.2/", "ftp://127.0.0.1"]
)
def test_bench_refuses_a_server_off_this_machine(url):
    """--url is loopback only: the bench never loads a server on another machine."""
    with pytest.raises(bench.BenchError, match=r"loopback|on this machine"):
        bench.loopback_base_url(url)


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("http://localhost:8123", "http://localhost:8123"),
        ("http://[::1]:8000/review/", "http://[::1]:8000"),
    ],
)
def test_bench_takes_a_loopback_server(url, base):
    """A loopback URL is used as its scheme and address, whatever path it names."""
    assert bench.loopback_base_url(url) == base


def test_bench_says_how_to_install_wrk_when_missing(monkeypatch):
    """Without wrk the bench stops at once, naming Debian's package."""
    monkeypatch.setattr(bench.shutil, "which", lambda name: None)
    with pytest.raises(bench.BenchError, match="apt-get install wrk"):
        bench.wrk_path()
