"""The review queue at 100,000 and 1,000,000 intakes (issue 12).

- ``Intake.queue_rank``: the urgency rank as a stored generated column, and indexes that give
  the queue in its order (by status; by status and outcome; every status but drafts, with or
  without an outcome), so the page reads an index range instead of sorting the table. The old
  ``intake_queue_idx`` (status, outcome, submitted_at) is a prefix of the new ones' columns.
- ``QueueCount``: intakes per (status, procedure, outcome, emergency), kept exact by triggers
  on ``intake_intake`` and filled here from the rows already there. Triggers, because intakes
  change in many places, raw SQL (the re-screen) and COPY (the seeding) included.

  PostgreSQL: statement-level AFTER triggers with transition tables: a statement that changes
  many rows (a re-screen batch, a COPY) costs one upsert per (status, procedure, outcome,
  emergency) group it touches, in key order (so two writers lock counters in the same order);
  an UPDATE that moves no row between groups writes nothing. TRUNCATE empties the counters.
  SQLite: row-level triggers; a decrement never creates a counter, so a flush that empties
  the counters before the intakes (tests) leaves none behind.

  SQLite drops a table's triggers when Django rebuilds the table (an ``ALTER`` it cannot do
  in place): after every ``migrate``, ``intake.apps`` creates them again if a later migration
  rebuilt ``intake_intake``, and refills the counters.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


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


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0010_patient_search_trigram_indexes'),
        ('screener', '0007_question_filled_from_patient_fact'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='QueueCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('info_requested', 'Information requested'), ('decided', 'Decided')], max_length=20)),
                ('outcome', models.CharField(blank=True, max_length=30)),
                ('emergency', models.BooleanField()),
                ('count', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RemoveIndex(
            model_name='intake',
            name='intake_queue_idx',
        ),
        migrations.AddField(
            model_name='intake',
            name='queue_rank',
            field=models.GeneratedField(db_persist=True, expression=models.Case(models.When(emergency_open=True, then=models.Value(0)), models.When(emergency=True, outcome='urgent', then=models.Value(1)), models.When(outcome='urgent', then=models.Value(2)), models.When(outcome='candidate_with_cautions', then=models.Value(3)), models.When(outcome='candidate', then=models.Value(4)), models.When(outcome='needs_info', then=models.Value(5)), models.When(outcome='conservative', then=models.Value(6)), models.When(outcome='contraindicated', then=models.Value(7)), default=models.Value(8)), output_field=models.SmallIntegerField()),
        ),
        migrations.AddIndex(
            model_name='intake',
            index=models.Index(fields=['status', 'queue_rank', 'submitted_at', 'id'], name='intake_queue_rank_idx'),
        ),
        migrations.AddIndex(
            model_name='intake',
            index=models.Index(fields=['status', 'outcome', 'queue_rank', 'submitted_at', 'id'], name='intake_queue_outcome_idx'),
        ),
        migrations.AddIndex(
            model_name='intake',
            index=models.Index(condition=models.Q(('status', 'draft'), _negated=True), fields=['queue_rank', 'submitted_at', 'id'], name='intake_queue_all_idx'),
        ),
        migrations.AddIndex(
            model_name='intake',
            index=models.Index(condition=models.Q(('status', 'draft'), _negated=True), fields=['outcome', 'queue_rank', 'submitted_at', 'id'], name='intake_queue_all_outcome_idx'),
        ),
        migrations.AddField(
            model_name='queuecount',
            name='procedure',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='screener.procedure'),
        ),
        migrations.AddConstraint(
            model_name='queuecount',
            constraint=models.UniqueConstraint(fields=('status', 'procedure', 'outcome', 'emergency'), name='queue_count_key'),
        ),
        migrations.RunPython(
            create_queue_count_triggers, drop_queue_count_triggers, elidable=False
        ),
    ]
