"""The database triggers the intake migrations create, in one place (migrations 0011, 0014 and
0018 import them; ``intake.apps`` re-creates the queue counters' triggers on SQLite).

Migrations run this code, so what it creates must not change in place: a different trigger is
a new migration that replaces the old one (``CREATE OR REPLACE``), with these functions kept
for the migrations already written.

- **Queue counters** (migration 0011): ``QueueCount`` holds intakes per (status, procedure,
  outcome, emergency), kept exact by triggers on ``intake_intake``, because intakes change in
  many places, raw SQL (the re-screen) and COPY (the seeding) included.

  PostgreSQL: statement-level AFTER triggers with transition tables: a statement that changes
  many rows (a re-screen batch, a COPY) costs one upsert per (status, procedure, outcome,
  emergency) group it touches, in key order (so two writers lock counters in the same order);
  an UPDATE that moves no row between groups writes nothing. TRUNCATE empties the counters.
  SQLite: row-level triggers; a decrement never creates a counter, so a flush that empties
  the counters before the intakes (tests) leaves none behind.

- **Records changed once** (migrations 0014 and 0018): on PostgreSQL the database refuses what
  the Python guard refuses: the row is never deleted, and the one change it allows (a
  document's withdrawal, a patient's answer confirmed) is made once. On SQLite (development)
  nothing is created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

KEY = "status, procedure_id, outcome, emergency"


def _upsert(delta: str) -> str:
    """Add each group's sum of ``n`` from ``delta`` to its counter, in key order."""
    return (
        f"INSERT INTO intake_queuecount AS c ({KEY}, count) "
        f"SELECT {KEY}, sum(n) FROM ({delta}) AS delta GROUP BY {KEY} HAVING sum(n) <> 0 "
        f"ORDER BY {KEY} "
        "ON CONFLICT (status, procedure_id, outcome, emergency) "
        "DO UPDATE SET count = c.count + EXCLUDED.count;"
    )


_ADDED = f"SELECT {KEY}, 1 AS n FROM new_rows"
_REMOVED = f"SELECT {KEY}, -1 AS n FROM old_rows"

# One function for the four triggers; a transition table exists only for the events that have
# it, so each branch names only its own.
POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION intake_queuecount_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_upsert(_ADDED)}
    ELSIF TG_OP = 'UPDATE' THEN
        {_upsert(f"{_ADDED} UNION ALL {_REMOVED}")}
    ELSIF TG_OP = 'DELETE' THEN
        {_upsert(_REMOVED)}
    ELSE
        DELETE FROM intake_queuecount;
    END IF;
    RETURN NULL;
END
$$;
"""

POSTGRES_TRIGGERS = {
    "intake_queuecount_insert": "AFTER INSERT ON intake_intake REFERENCING NEW TABLE AS new_rows",
    "intake_queuecount_update": (
        "AFTER UPDATE ON intake_intake REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    ),
    "intake_queuecount_delete": "AFTER DELETE ON intake_intake REFERENCING OLD TABLE AS old_rows",
    "intake_queuecount_truncate": "AFTER TRUNCATE ON intake_intake",
}

_SQLITE_MATCH = " AND ".join(
    f"{column} = {{r}}.{column}" for column in ("status", "procedure_id", "outcome", "emergency")
)
_SQLITE_ADD = (
    "INSERT OR IGNORE INTO intake_queuecount (" + KEY + ", count) "
    "VALUES (NEW.status, NEW.procedure_id, NEW.outcome, NEW.emergency, 0); "
    "UPDATE intake_queuecount SET count = count + 1 WHERE " + _SQLITE_MATCH.format(r="NEW") + ";"
)
_SQLITE_SUBTRACT = (
    "UPDATE intake_queuecount SET count = count - 1 WHERE " + _SQLITE_MATCH.format(r="OLD") + ";"
)
SQLITE_TRIGGERS = {
    "intake_queuecount_insert": f"AFTER INSERT ON intake_intake BEGIN {_SQLITE_ADD} END",
    "intake_queuecount_update": (
        "AFTER UPDATE OF status, procedure_id, outcome, emergency ON intake_intake "
        "WHEN OLD.status IS NOT NEW.status OR OLD.procedure_id IS NOT NEW.procedure_id "
        "OR OLD.outcome IS NOT NEW.outcome OR OLD.emergency IS NOT NEW.emergency "
        f"BEGIN {_SQLITE_SUBTRACT} {_SQLITE_ADD} END"
    ),
    "intake_queuecount_delete": f"AFTER DELETE ON intake_intake BEGIN {_SQLITE_SUBTRACT} END",
}

FILL = (
    f"INSERT INTO intake_queuecount ({KEY}, count) "
    f"SELECT {KEY}, count(*) FROM intake_intake GROUP BY {KEY}"
)


def create_queue_count_triggers(apps, schema_editor):
    """The counting triggers, and the counters filled from the intakes already there."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # No intake changes between the fill and the triggers (writes wait; reads go on).
        schema_editor.execute("LOCK TABLE intake_intake IN SHARE ROW EXCLUSIVE MODE")
        schema_editor.execute(POSTGRES_FUNCTION, params=None)
        for name, event in POSTGRES_TRIGGERS.items():
            schema_editor.execute(
                f"CREATE TRIGGER {name} {event} "
                "FOR EACH STATEMENT EXECUTE FUNCTION intake_queuecount_apply()"
            )
    elif vendor == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            schema_editor.execute(f"CREATE TRIGGER {name} {body}")
    else:
        raise NotImplementedError(f"queue counters: no triggers for {vendor}")
    schema_editor.execute("DELETE FROM intake_queuecount")
    schema_editor.execute(FILL)


def drop_queue_count_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    names = POSTGRES_TRIGGERS if vendor == "postgresql" else SQLITE_TRIGGERS
    for name in names:
        suffix = " ON intake_intake" if vendor == "postgresql" else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{suffix}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS intake_queuecount_apply()")


# --------------------------------------------------------------------------------------------
# Records changed once


def changed_once_guard(
    *,
    table: str,
    function: str,
    trigger: str,
    marker: str,
    columns: tuple[str, ...],
    noun: str,
    instead: str,
) -> tuple[Callable[[Any, Any], None], Callable[[Any, Any], None]]:
    """The create and drop functions (for ``RunPython``) of a PostgreSQL trigger that keeps
    each row of ``table`` as written but for one change: ``columns`` set once, while
    ``marker`` (one of them) is still NULL. Anything else is refused with ``restrict_violation``
    and a message naming the row ("<noun> 12 of intake 3 cannot be deleted; <instead>")."""
    kept = ", ".join(f"'{column}'" for column in columns)
    sql = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.{marker} IS NULL
       AND (to_jsonb(NEW) - ARRAY[{kept}]) = (to_jsonb(OLD) - ARRAY[{kept}]) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{noun} % of intake % cannot be %; {instead}',
        OLD.id, OLD.intake_id, CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'changed' END
        USING ERRCODE = 'restrict_violation';
END
$$;
"""

    def create(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(sql, params=None)
        schema_editor.execute(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"
        )

    def drop(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")

    return create, drop
