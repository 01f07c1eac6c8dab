"""Impact preview time for 500 and 10,000 submitted intakes (issue 5).

    .venv/bin/python benchmarks/impact_preview.py [--intakes 10000]
    .venv/bin/python benchmarks/impact_preview.py \
        --database-url postgres://postgres@127.0.0.1:5432/screener_bench

Seeds a throw-away database (a temp SQLite file by default; the PostgreSQL database named is
created and dropped) with screened intakes, clones the default set with nrs_outpatient_min
5 -> 7, then times ``impact_preview`` for the last 500 and the last 10,000 intakes, and the
admin's impact page for 500 through the test client (the whole request, as a criteria admin).
"""

from __future__ import annotations

import argparse
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


def timed(label: str, func, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    print(f"  {label:<52} {best:7.2f} s (best of {repeat})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intakes", type=int, default=10_000)
    parser.add_argument("--database-url", help="PostgreSQL URL (created, then dropped)")
    args = parser.parse_args()
    with bench_database(args.database_url) as url:
        from django.db import connection

        print(f"database: {connection.vendor} ({url.split('@')[-1]})")
        seed_intakes(args.intakes, open_share=0.9)
        draft = draft_with_threshold(7)

        from intake.rescreen.impact import impact_preview

        for limit in sorted({500, args.intakes}):
            report = timed(
                f"impact_preview(limit={limit:,})",
                lambda limit=limit: impact_preview(criteria_set=draft, limit=limit),
            )
            print(
                f"    {report.evaluated:,} intakes, {report.changed:,} outcome changes: "
                + ", ".join(f"{a} -> {b} {n}" for a, b, n in report.changes)
            )

        from django.test import Client
        from django.urls import reverse

        from intake.services.accounts import roles_ensure
        from tests.factories import CriteriaAdminFactory

        roles_ensure()
        client = Client()
        client.force_login(CriteriaAdminFactory())
        page = reverse("admin:screener_criteriaset_impact", args=[draft.pk])

        def request():
            response = client.post(page, {"limit": "500"})
            assert response.status_code == 200, response.status_code
            return response

        timed("admin impact page, 500 intakes (whole request)", request)


if __name__ == "__main__":
    main()
