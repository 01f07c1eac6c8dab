"""Patient search tolerant of typos and partial MRNs, on the front desk's list and the review
queue alike (``selectors.patients.patients_matching``), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake.models import Patient
from intake.names import trigram_similarity, word_similarity
from intake.selectors.patients import patient_list, patients_matching
from tests.factories import FrontDeskFactory, PatientFactory, PhysicianFactory
from tests.intake.review.factories import submitted_intake

pytestmark = pytest.mark.django_db

TRIGRAM_INDEXES = {"patient_first_key_trgm", "patient_last_key_trgm", "patient_mrn_upper_trgm"}


@pytest.fixture
def people() -> dict[str, Patient]:
    return {
        "holloway": PatientFactory(first_name="Margaret", last_name="Holloway", mrn="MRN00421"),
        "holt": PatientFactory(first_name="Peter", last_name="Holt", mrn="MRN00777"),
        "novak": PatientFactory(first_name="Zoë", last_name="Nováková", mrn="MRN01999"),
        "lukasz": PatientFactory(first_name="Łukasz", last_name="Strauß", mrn="MRN05555"),
    }


def found(term: str) -> list[str]:
    return [patient.last_name for patient in patient_list(search=term)]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Hollowey", ["Holloway"]),  # a letter changed
        ("Holoway", ["Holloway"]),  # a letter dropped
        ("holo", ["Holt", "Holloway"]),  # a mistyped beginning; the closer name first
        ("0042", ["Holloway"]),  # part of an MRN
        ("mrn00421", ["Holloway"]),  # the whole MRN, any case
        ("margaret hollowey", ["Holloway"]),  # every word, one with a typo
        ("NOVAKOVA", ["Nováková"]),  # case and accents as name_key defines
        ("zoe novakva", ["Nováková"]),
        ("lukasz strauss", ["Strauß"]),  # ß and Ł folded as name_key folds them
        ("Jefferson", []),  # an unrelated name
        ("margaret jefferson", []),  # one word unrelated: not found
    ],
)
def test_search_finds_typos_and_partial_mrns(people, term, expected):
    """The same patients on SQLite and PostgreSQL: the similarity is pg_trgm's on both."""
    assert found(term) == expected


def test_best_match_comes_first():
    """Ranked by similarity, not by name: the closest spelling leads."""
    PatientFactory(first_name="Ann", last_name="Hollis")
    PatientFactory(first_name="Ann", last_name="Hollowell")
    PatientFactory(first_name="Ann", last_name="Holloways")
    PatientFactory(first_name="Ann", last_name="Holloway")
    assert found("holloway") == ["Holloway", "Holloways", "Hollowell"]
    assert found("hollis") == ["Hollis"]


def test_a_full_mrn_comes_before_names_that_contain_it():
    mrn_owner = PatientFactory(first_name="Ann", last_name="Zed", mrn="AB12")
    PatientFactory(first_name="Ann", last_name="Abadi", mrn="AB123")
    assert patient_list(search="ab12")[0] == mrn_owner


def test_near_but_different_names_are_not_found():
    """Short names one letter or more apart are not typos of each other to the search: "Strand"
    for "Strauss" (similarity 0.36) or "Luke" for "Lukasz" (0.33) stay out."""
    PatientFactory(first_name="Luke", last_name="Strand")
    assert found("strauss") == []
    assert found("lukasz") == []


def test_similarity_is_pg_trgm_s():
    """The figures SQLite computes are pg_trgm's (checked against PostgreSQL in
    test_postgres_computes_the_same_similarity)."""
    assert trigram_similarity("hollowey", "holloway") == pytest.approx(0.5)
    assert word_similarity("holo", "holloway") == pytest.approx(0.6)
    assert trigram_similarity("", "holloway") == 0.0


@pytest.mark.postgres_only
def test_postgres_computes_the_same_similarity():
    pairs = [
        ("hollowey", "holloway"),
        ("holo", "holloway"),
        ("strauss", "strand"),
        ("abab", "ababab"),
        ("novakva", "novakova"),
    ]
    with connection.cursor() as cursor:
        for a, b in pairs:
            cursor.execute("SELECT similarity(%s, %s), word_similarity(%s, %s)", [a, b, a, b])
            on_postgres = cursor.fetchone()
            assert on_postgres == pytest.approx(
                (trigram_similarity(a, b), word_similarity(a, b)), abs=1e-6
            )


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    ("term", "index"), [("hollowey", "patient_last_key_trgm"), ("0042", "patient_mrn_upper_trgm")]
)
def test_postgres_search_uses_the_trigram_indexes(people, term, index):
    """Without sequential or plain index scans, the plan is a bitmap scan of the GIN trigram
    indexes: every branch of the search can use one (so it does at scale, docs/benchmarks.md)."""
    query = patients_matching(search=term)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan
    assert index in plan


def test_migration_builds_the_trigram_indexes_on_postgres_only():
    """On SQLite the migration is a no-op (vendor check); on PostgreSQL pg_trgm and the three
    indexes exist."""
    with connection.cursor() as cursor:
        indexes = {
            name
            for name, info in connection.introspection.get_constraints(
                cursor, "intake_patient"
            ).items()
            if info["index"]
        }
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            assert cursor.fetchone() == (1,)
            assert indexes >= TRIGRAM_INDEXES
        else:
            assert not TRIGRAM_INDEXES & indexes


@pytest.mark.parametrize("count", [3, 30])
def test_searching_the_list_takes_the_same_queries_whatever_the_number_of_patients(client, count):
    client.force_login(FrontDeskFactory())
    for i in range(count):
        PatientFactory(first_name="Ann", last_name=f"Holloway{i}")
    client.post(reverse("intake:patient-list"), {"q": "Hollowey"})
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("intake:patient-list"))
    assert len(page.context["patients"]) == min(count, 25)
    # session, user, groups, page count, page rows, their intake counts, then the audit row
    # (savepoint, chain head, row, head moved on, savepoint released), and the patient-reported
    # red flags (every full staff page)
    assert len(queries) == 6 + 5 + 1


def test_the_front_desk_finds_a_typo_and_keeps_the_term_out_of_urls(client, people):
    client.force_login(FrontDeskFactory())
    response = client.post(reverse("intake:patient-list"), {"q": "Hollowey"})
    assert response["Location"] == reverse("intake:patient-list")
    page = client.get(response["Location"])
    assert [p.last_name for p in page.context["patients"]] == ["Holloway"]
    assert "Hollowey" not in page.request["QUERY_STRING"]


QUEUE_NOW = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)


def test_the_review_queue_searches_the_same_way(client, default_set, people):
    """A typo or part of an MRN finds the case in the physicians' queue too."""
    import time_machine

    with time_machine.travel(QUEUE_NOW, tick=False):
        wanted = submitted_intake(
            submitted_at=QUEUE_NOW - datetime.timedelta(days=1), patient=people["holloway"]
        )
        submitted_intake(
            submitted_at=QUEUE_NOW - datetime.timedelta(days=2), patient=people["novak"]
        )
        client.force_login(PhysicianFactory())
        queue = reverse("review:queue")
        for term in ("Hollowey", "0042", "margaret holo"):
            client.post(queue, {"q": term})
            page = client.get(queue)
            assert [row.intake_id for row in page.context["rows"]] == [wanted.pk], term
