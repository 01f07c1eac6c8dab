"""Time the pages people open all day on many intakes: the review queue (waiting and decided),
the case view, the result page, the patient page and the needs-information list.

    .venv/bin/python benchmarks/review_pages.py \
        --database-url postgres://postgres@127.0.0.1:5432/screener_pages [--intakes 100000]

Creates the database named (dropped at the end; a temporary SQLite file without the option),
seeds it with screened intakes (90 % open, 10 % decided, each decided one with a signed
decision), then requests each page through Django's test client as a physician or the front
desk: one warm-up request, then the median and the slowest of 5, with the number of queries.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.criteria_seed import bench_database, seed_intakes  # noqa: E402

RUNS = 5


def add_decisions() -> int:
    """A signed decision for every decided intake (as physicians leave them), in bulk."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils import timezone

    from intake.models import Decision, Intake, IntakeStatus

    physician = User.objects.get(username="bench-physician")
    decided = list(
        Intake.objects.filter(status=IntakeStatus.DECIDED).values_list("pk", "latest_screening_id")
    )
    now = timezone.now()
    kinds = ("proceed", "conservative", "not_candidate")
    Decision.objects.bulk_create(
        (
            Decision(
                intake_id=pk,
                screening_id=screening_id,
                kind=kinds[n % 3],
                reason="" if n % 3 == 0 else "Benchmark decision.",
                physician=physician,
                signed_at=now,
            )
            for n, (pk, screening_id) in enumerate(decided)
        ),
        batch_size=2000,
    )
    if any(f.name == "current_decision" for f in Intake._meta.fields):
        table = connection.ops.quote_name(Intake._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET current_decision_id = (SELECT d.id FROM intake_decision d "
                f"WHERE d.intake_id = {table}.id ORDER BY d.signed_at DESC, d.id DESC LIMIT 1) "
                f"WHERE status = 'decided'"
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return len(decided)


def users():
    from django.contrib.auth.models import User

    from intake.roles import FRONT_DESK, PHYSICIAN
    from intake.services.accounts import roles_ensure

    groups = roles_ensure()
    made = {}
    for name, role in (("bench-physician", PHYSICIAN), ("bench-desk", FRONT_DESK)):
        user, _ = User.objects.get_or_create(username=name, first_name="Bench", last_name=name)
        user.groups.add(groups[role])
        made[role] = user
    return made


def timed(client, url: str) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up: the criteria set is compiled once, then cached
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(RUNS):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            else:
                response.content  # noqa: B018  (rendered already; read it as a browser would)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(times), max(times), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intakes", type=int, default=100_000)
    parser.add_argument("--database-url", help="PostgreSQL URL (created, then dropped)")
    args = parser.parse_args()
    with bench_database(args.database_url) as url:
        from django.db import connection
        from django.test import Client

        from intake.models import Intake, IntakeStatus
        from intake.roles import FRONT_DESK, PHYSICIAN

        print(f"database: {connection.vendor} ({url.split('@')[-1]})")
        people = users()
        statuses = seed_intakes(args.intakes, open_share=0.9)
        print(f"  intakes by status: {statuses}; decisions signed: {add_decisions():,}")
        physician, desk = Client(), Client()
        physician.force_login(people[PHYSICIAN])
        desk.force_login(people[FRONT_DESK])
        emergency = Intake.objects.filter(emergency=True).order_by("pk").first()
        waiting = Intake.objects.filter(status=IntakeStatus.SUBMITTED).order_by("pk").first()
        decided = Intake.objects.filter(status=IntakeStatus.DECIDED).order_by("-pk").first()
        pages = [
            ("queue, waiting for review", physician, "/review/"),
            ("queue, decided", physician, "/review/?status=decided"),
            ("queue, decided, page 50", physician, "/review/?status=decided&page=50"),
            ("case view, emergency", physician, f"/review/{emergency.pk}/"),
            ("case view, decided", physician, f"/review/{decided.pk}/"),
            ("result page (front desk), decided", desk, f"/intakes/{decided.pk}/"),
            ("result page (front desk), waiting", desk, f"/intakes/{waiting.pk}/"),
            ("patient page", desk, f"/patients/{decided.patient_id}/"),
            ("needs-information list", desk, "/intakes/needs-information/"),
        ]
        print(f"  {'page':<40} {'median':>9} {'slowest':>9} {'queries':>8}")
        for label, client, path in pages:
            median, slowest, queries = timed(client, path)
            print(f"  {label:<40} {median * 1000:7.1f} ms {slowest * 1000:7.1f} ms {queries:8}")


if __name__ == "__main__":
    main()
