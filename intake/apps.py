from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created

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


class IntakeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "intake"
    verbose_name = "Patients and intakes"

    def ready(self) -> None:
        import intake.role_audit  # noqa: F401  (role changes in the audit log)
        from intake import auth_audit, session_timeout, two_factor  # noqa: F401  (sign-in receivers)
        from intake.rescreen import hooks

        connection_created.connect(_sqlite_trigram_functions)
        hooks.register()  # impact preview and re-screen, on the criteria side's pages and jobs
