"""Patient search tolerant of typos and partial MRNs (``selectors.patients.patients_matching``).

On PostgreSQL: the pg_trgm extension, and GIN trigram indexes on what the search compares:
the two name keys (``%``, ``%>`` and ``LIKE '%...%'``) and the MRN as ``icontains`` reads it
(``UPPER(mrn::text) LIKE UPPER('%...%')``). They are not model indexes, as SQLite cannot build
them: on SQLite (development) this migration does nothing and the search computes the same
similarity in Python (``intake.apps``), without an index.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import DatabaseError, migrations, transaction

INDEXES = {
    "patient_first_key_trgm": "first_name_key gin_trgm_ops",
    "patient_last_key_trgm": "last_name_key gin_trgm_ops",
    "patient_mrn_upper_trgm": "(UPPER(mrn::text)) gin_trgm_ops",
}


class TrigramExtensionOnPostgres(TrigramExtension):
    """Django's TrigramExtension skips other databases going forwards, not backwards; nor does
    it drop pg_trgm when migrating back, as other indexes or code may use it by then."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        return


# pg_trgm declares its functions as cheap as an addition (cost 1), so at 100,000 patients the
# planner chose a sequential scan computing them on every row (677 ms) over the indexes (107
# ms; docs/benchmarks.md). Their real cost is about a hundred times that.
TRIGRAM_FUNCTIONS = (
    "similarity(text, text)",
    "word_similarity(text, text)",
    "similarity_op(text, text)",
    "word_similarity_commutator_op(text, text)",
)


def _set_cost(schema_editor, cost: int) -> None:
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            for function in TRIGRAM_FUNCTIONS:
                schema_editor.execute(f"ALTER FUNCTION {function} COST {cost}")
    except DatabaseError:
        pass  # not the extension's owner: the search still works, scanning instead


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON intake_patient USING gin ({expression})"
        )
    _set_cost(schema_editor, 100)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    _set_cost(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0009_screening_reasons_and_technique"),
    ]

    operations = [
        TrigramExtensionOnPostgres(),
        migrations.RunPython(add_indexes, drop_indexes, elidable=False),
    ]
