"""Time the audit report (Django admin) on a million audit events.

    .venv/bin/python benchmarks/audit_report.py \
        --database-url postgres://postgres@127.0.0.1:5432/bench_audit [--events 1000000]

Creates the database named (dropped at the end; a temporary SQLite file without the option),
creates 40 staff users and 10,000 patients, then writes ``--events`` audit events over 100 days
(views, lists of 25 patients, changes, prints, exports, decisions, sign-ins) with their hash
chain computed in Python exactly as ``audit_record`` does, inserted with COPY on PostgreSQL
(bulk_create elsewhere). Then, through Django's test client as an auditor, it requests the
report's first page, a patient filter (by MRN), a user filter, one day, one action, and the CSV
export of one day: one warm-up request, then the median and the slowest of 5, with the number
of queries and the indexes the page's row query used. Last, ``verify_audit`` over the whole
chain, once.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.criteria_seed import bench_database  # noqa: E402

RUNS = 5
DAYS = 100
START = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
PATIENTS = 10_000
USERS = 40
SHOWN_PER_LIST = 25
# action -> share of the events, with what a page of that kind records
MIX = (
    ("view", 0.45),
    ("list", 0.20),
    ("change", 0.14),
    ("print", 0.05),
    ("export", 0.01),
    ("decide", 0.04),
    ("login", 0.08),
    ("logout", 0.03),
)
PARTS = {
    "view": ("patient page", "result", "case view", "intake form"),
    "list": ("patient list", "review queue", "needs-information list"),
    "change": ("answers", "details", "assignment", "planned date"),
    "print": ("patient handout", "result page printout", "case view printout"),
    "export": ("review queue CSV",),
    "decide": ("decision",),
}
COLUMNS = (
    "at",
    "user_id",
    "username",
    "role",
    "action",
    "outcome",
    "patient_id",
    "patients_shown",
    "object_type",
    "object_id",
    "part",
    "changes",
    "detail",
    "source_address",
    "previous_hash",
    "hash",
)


def seed_people() -> tuple[list, list[int], object]:
    from django.contrib.auth.models import User

    from intake.models import Patient
    from intake.roles import AUDITOR, FRONT_DESK, PHYSICIAN
    from intake.services.accounts import roles_ensure

    groups = roles_ensure()
    users = []
    for n in range(USERS):
        role = FRONT_DESK if n % 2 else PHYSICIAN
        user = User.objects.create(username=f"bench-user-{n:02d}", is_staff=False)
        user.groups.add(groups[role])
        users.append((user.pk, user.username, role))
    auditor = User.objects.create(username="bench-auditor", is_staff=True)
    auditor.groups.add(groups[AUDITOR])
    patients = Patient.objects.bulk_create(
        (
            Patient(
                mrn=f"AUD{n:07d}",
                first_name="Bench",
                last_name=f"Patient{n}",
                first_name_key="bench",
                last_name_key=f"patient{n}",
                date_of_birth=datetime.date(1950, 1, 1),
            )
            for n in range(PATIENTS)
        ),
        batch_size=5000,
    )
    return users, [p.pk for p in patients], auditor


def seed_events(count: int, users: list, patient_ids: list[int]) -> float:
    """``count`` chained events, oldest first; returns the seconds taken."""
    from django.db import connection

    from intake.models import AuditChainHead, AuditEvent
    from intake.services.audit import GENESIS, event_content, event_digest

    rng = random.Random(9)
    actions = [a for a, _ in MIX]
    weights = [w for _, w in MIX]
    step = datetime.timedelta(days=DAYS) / count
    started = time.perf_counter()
    # The chain goes on from the rows already there (the users' role changes).
    previous = AuditChainHead.objects.values_list("last_hash", flat=True).first() or GENESIS
    batch: list[AuditEvent] = []

    def flush() -> None:
        if connection.vendor == "postgresql":
            columns = ", ".join(COLUMNS)
            with connection.cursor() as cursor:
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY intake_auditevent ({columns}) FROM STDIN") as copy:
                    for e in batch:
                        copy.write_row(
                            (
                                e.at,
                                e.user_id,
                                e.username,
                                e.role,
                                e.action,
                                e.outcome,
                                e.patient_id,
                                json.dumps(e.patients_shown),
                                e.object_type,
                                e.object_id,
                                e.part,
                                json.dumps(e.changes),
                                e.detail,
                                e.source_address,
                                e.previous_hash,
                                e.hash,
                            )
                        )
        else:
            AuditEvent.objects.bulk_create(batch, batch_size=2000)
        batch.clear()

    for n in range(count):
        action = rng.choices(actions, weights)[0]
        user_id, username, role = users[rng.randrange(len(users))]
        patient_id, shown, changes, part = None, [], {}, PARTS.get(action, ("",))[0]
        if action in PARTS:
            part = rng.choice(PARTS[action])
        if action in ("list", "export"):
            shown = sorted(rng.sample(patient_ids, SHOWN_PER_LIST))
        elif action not in ("login", "logout"):
            patient_id = patient_ids[rng.randrange(len(patient_ids))]
        if action == "change":
            changes = {"pain_nrs": [rng.randrange(11), rng.randrange(11)]}
        event = AuditEvent(
            at=START + step * n,
            user_id=user_id,
            username=username,
            role=role,
            action=action,
            outcome="refused" if n % 97 == 0 else "ok",
            patient_id=patient_id,
            patients_shown=shown,
            object_type="intake.intake" if patient_id else "",
            object_id=str(rng.randrange(1, 100_000)) if patient_id else "",
            part=part,
            changes=changes,
            detail="",
            source_address=f"10.0.{rng.randrange(8)}.{rng.randrange(1, 250)}",
            previous_hash=previous,
        )
        event.hash = event_digest(previous, event_content(event))
        previous = event.hash
        batch.append(event)
        if len(batch) == 20_000:
            flush()
    flush()
    AuditChainHead.objects.update_or_create(pk=1, defaults={"last_hash": previous})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE intake_auditevent")
    return time.perf_counter() - started


def indexes_used(queries: list[dict]) -> str:
    """The indexes PostgreSQL's plan uses for the page's row query (the rows shown)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return ""
    rows = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "intake_auditevent"."id", "intake_auditevent"."at"')
    ]
    if not rows:
        return ""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + rows[0])
        plan = "\n".join(line for (line,) in cursor.fetchall())
    found = re.findall(r"Index (?:Only )?Scan(?: Backward)? (?:using|on) (\w+)", plan)
    return ", ".join(sorted(set(found)))


def timed(client, url: str, *, stream: bool = False) -> tuple[float, float, int, str, int]:
    """(median ms, slowest ms, queries, indexes, rows) of RUNS requests after one warm-up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def once() -> tuple[float, list[dict], int]:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            rows = 0
            if stream:
                rows = sum(1 for _ in io.StringIO(b"".join(response.streaming_content).decode()))
            else:
                response.content  # noqa: B018  (rendered)
            took = (time.perf_counter() - started) * 1000
        return took, list(queries.captured_queries), rows

    once()
    results = [once() for _ in range(RUNS)]
    times = [r[0] for r in results]
    queries = results[-1][1]
    return statistics.median(times), max(times), len(queries), indexes_used(queries), results[-1][2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    with bench_database(args.database_url) as url:
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        print(f"database: {url.split('@')[-1]} ({connection.vendor})")
        users, patient_ids, auditor = seed_people()
        seconds = seed_events(args.events, users, patient_ids)
        print(f"seeded {args.events:,} chained audit events in {seconds:.0f} s")

        client = Client()
        client.force_login(auditor)
        day = (START + datetime.timedelta(days=50)).date().isoformat()
        deep = 50 if args.events >= 200_000 else 2  # a page well into the list
        report = "/admin/intake/auditevent/"
        pages = (
            ("first page", report),
            ("patient filter (MRN)", f"{report}?patient=AUD0004242"),
            ("user filter", f"{report}?user=bench-user-07"),
            ("user filter, a user with few events", f"{report}?user=bench-auditor"),
            ("one day", f"{report}?from={day}&until={day}"),
            ("one action (print)", f"{report}?action__exact=print"),
            (f"one action, page {deep}", f"{report}?action__exact=print&p={deep}"),
        )
        print("| page | median (slowest) | queries | indexes of the row query |")
        print("|---|---|---|---|")
        for name, page_url in pages:
            median, slowest, queries, indexes, _rows = timed(client, page_url)
            print(f"| {name} | {median:.0f} ms ({slowest:.0f}) | {queries} | {indexes} |")
        export = f"{report}export.csv?from={day}&until={day}"
        median, slowest, queries, _indexes, rows = timed(client, export, stream=True)
        print(
            f"| CSV export of one day ({rows - 1:,} rows) | {median:.0f} ms ({slowest:.0f}) "
            f"| {queries} | |"
        )
        started = time.perf_counter()
        out = io.StringIO()
        call_command("verify_audit", stdout=out)
        print(f"verify_audit: {out.getvalue().strip()} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
