from typing import Any

from django.apps import AppConfig
from django.db import connections, transaction
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

from intake import triggers
from intake.names import trigram_similarity, word_similarity


def _sqlite_trigram_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Patient search ranks names by pg_trgm's similarity functions; on SQLite (development,
    the quick test run) the same two functions are computed in Python, so a search finds the
    same patients on both databases (without PostgreSQL's trigram index)."""
    if connection.vendor != "sqlite":
        return
    for name, function in (
        ("similarity", trigram_similarity),
        ("word_similarity", word_similarity),
    ):
        connection.connection.create_function(name, 2, function, deterministic=True)


def _sqlite_queue_count_triggers(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """SQLite drops a table's triggers when Django rebuilds the table (a migration that alters
    ``intake_intake`` in a way SQLite cannot do in place): after migrating, the queue counters'
    triggers are created again if they are gone, and the counters refilled. PostgreSQL keeps
    triggers through ``ALTER TABLE``."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = connection.introspection.table_names()
    if "intake_queuecount" not in tables or "intake_intake" not in tables:
        return  # migrated back before the counters
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'intake_intake'"
        )
        present = {name for (name,) in cursor.fetchall()}
    if set(triggers.SQLITE_TRIGGERS) <= present:
        return
    statements = _Statements(connection)
    with transaction.atomic(using=using):
        triggers.drop_queue_count_triggers(None, statements)
        triggers.create_queue_count_triggers(None, statements)


class _Statements:
    """What the migration's functions use of a schema editor: its connection and execute."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Any = None) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)


class IntakeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "intake"
    verbose_name = "Patients and intakes"

    def ready(self) -> None:
        import intake.role_audit  # noqa: F401  (role changes in the audit log)
        from intake import auth_audit, session_timeout, two_factor  # noqa: F401  (sign-in receivers)
        from intake.fhir import hooks as fhir_hooks
        from intake.rescreen import hooks

        connection_created.connect(_sqlite_trigram_functions)
        post_migrate.connect(_sqlite_queue_count_triggers, sender=self)
        hooks.register()  # impact preview and re-screen, on the criteria side's pages and jobs
        fhir_hooks.register()  # the criteria set's FHIR Questionnaire download
