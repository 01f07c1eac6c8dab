"""Time patient search (the front desk's list) on many patients.

    .venv/bin/python benchmarks/patient_search.py \
        --database-url postgres://postgres@127.0.0.1:5432/bench_search [--patients 100000]

Creates the database named (dropped at the end; a temporary SQLite file without the option),
seeds it with patients (names from Faker, seeded; MRNs MRN00000001...) plus one Margaret
Holloway, then for each query does what the list page does with a search term, the count and
the first page of 25 (``selectors.patients.patient_list``): one warm-up, then the median and
the slowest of 5, and how many patients were found.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.criteria_seed import bench_database  # noqa: E402

RUNS = 5
QUERIES = (
    "Holloway",  # a name as registered
    "Hollowey",  # a typo
    "holo",  # a mistyped beginning
    "margaret hollowey",  # two words, one mistyped
    "0042",  # part of an MRN
    "MRN00000421",  # a whole MRN
    "Jefferson-Xu",  # a name nobody has
)


def seed_patients(count: int, *, chunk: int = 5000) -> None:
    from django.db import connection
    from faker import Faker

    from intake.models import Patient
    from intake.names import name_key

    fake = Faker(["en_US", "de_DE", "es_ES", "pl_PL"])
    Faker.seed(11)
    born = datetime.date(1940, 1, 1)
    batch = []
    for n in range(1, count + 1):
        first, last = fake.first_name(), fake.last_name()
        if n == count // 2:
            first, last = "Margaret", "Holloway"
        batch.append(
            Patient(
                mrn=f"MRN{n:08d}",
                first_name=first,
                last_name=last,
                first_name_key=name_key(first),
                last_name_key=name_key(last),
                date_of_birth=born + datetime.timedelta(days=n % 20000),
            )
        )
        if len(batch) == chunk:
            Patient.objects.bulk_create(batch)
            batch = []
    Patient.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE intake_patient")


def time_search(term: str) -> tuple[float, float, int]:
    from intake.selectors.patients import patient_list

    def once() -> int:
        found = patient_list(search=term)
        count = found.count()
        list(found[:25])
        return count

    count = once()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        once()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--patients", type=int, default=100_000)
    args = parser.parse_args()
    with bench_database(args.database_url) as url:
        start = time.perf_counter()
        seed_patients(args.patients)
        print(
            f"{args.patients} patients seeded in {time.perf_counter() - start:.0f} s ({url.split(':')[0]})"
        )
        print("| search | median (slowest) | found |")
        print("|---|---|---|")
        for term in QUERIES:
            median, slowest, count = time_search(term)
            print(f"| `{term}` | {median * 1000:.0f} ms ({slowest * 1000:.0f}) | {count} |")


if __name__ == "__main__":
    main()
