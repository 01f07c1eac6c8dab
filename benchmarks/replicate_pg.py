"""Multiply a seeded PostgreSQL benchmark database by SQL: ``--times K`` adds K copies of every
patient, intake, screening, decision and emergency action, with new ids and every reference
between them moved to the copy (MRNs get a ``-K`` suffix, so they stay unique).

Why: ``manage.py seed_benchmark`` screens every intake with the engine in one Python process (about
440 intakes a second on this machine); a million intakes would take about 40 minutes of a core.
For the page benchmarks at 1,000,000 intakes, 200,000 seeded intakes copied four more times give
the same mix of statuses, outcomes and answers at five times the size in a few minutes. Each copy
keeps its original's timestamps, so the queue holds five cases submitted at each moment (ordered
by id within it): the same work for the database as distinct moments.

Usage (the database must be migrated and seeded first; the copies run in one transaction):

    python benchmarks/replicate_pg.py --database-url postgres://postgres@127.0.0.1:5432/bench_1m --times 4

Generated columns are left to the database; triggers (the queue's counters among them) fire on
the inserted rows as on any other. For benchmarks only: no audit events or row history.
"""

from __future__ import annotations

import argparse
import time

import psycopg

# Tables copied, in an order that satisfies the (deferred) foreign keys, and the references of
# each that point into the copied tables: column -> referenced table.
TABLES: dict[str, dict[str, str]] = {
    "intake_patient": {},
    "intake_intake": {
        "patient_id": "intake_patient",
        "latest_screening_id": "intake_screening",
        "current_decision_id": "intake_decision",
    },
    "intake_screening": {"intake_id": "intake_intake"},
    "intake_decision": {
        "intake_id": "intake_intake",
        "screening_id": "intake_screening",
        "supersedes_id": "intake_decision",
    },
    "intake_emergencyaction": {
        "intake_id": "intake_intake",
        "screening_id": "intake_screening",
        "corrects_id": "intake_emergencyaction",
    },
}


def _columns(cursor: psycopg.Cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND is_generated = 'NEVER' ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def _max_ids(cursor: psycopg.Cursor) -> dict[str, int]:
    highest = {}
    for table in TABLES:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
        highest[table] = cursor.fetchone()[0]
    return highest


def replicate(url: str, times: int) -> None:
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        span = _max_ids(cursor)  # each copy k moves the ids of a table by k * its largest id
        for copy in range(1, times + 1):
            for table, references in TABLES.items():
                started = time.monotonic()
                columns = _columns(cursor, table)
                values = []
                for column in columns:
                    if column == "id":
                        values.append(f"id + {copy * span[table]}")
                    elif column in references:
                        values.append(f"{column} + {copy * span[references[column]]}")
                    elif table == "intake_patient" and column == "mrn":
                        values.append(f"mrn || '-{copy}'")
                    else:
                        values.append(column)
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"SELECT {', '.join(values)} FROM {table} WHERE id <= {span[table]}"
                )
                print(
                    f"copy {copy}: {table} +{cursor.rowcount:,} rows "
                    f"in {time.monotonic() - started:.1f} s",
                    flush=True,
                )
        for table in TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres://... of a seeded database")
    parser.add_argument("--times", type=int, required=True, help="copies to add (1 or more)")
    options = parser.parse_args()
    if options.times < 1:
        parser.error("--times must be at least 1")
    started = time.monotonic()
    replicate(options.database_url, options.times)
    print(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
