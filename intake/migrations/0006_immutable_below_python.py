"""On PostgreSQL, triggers refuse what the Python guards refuse, so ``_base_manager``,
``QuerySet.update`` from elsewhere and raw SQL cannot change the clinical record either:

- UPDATE or DELETE of a screening;
- DELETE of a signed decision, and UPDATE of anything in it but its scheduling
  (``planned_procedure_date``, ``planned_date_set_by_id``, ``planned_date_set_at``), as
  ``models.guard_decision_write``;
- UPDATE or DELETE of an emergency action;
- UPDATE or DELETE of an audit event (the chain head, ``intake_auditchainhead``, stays
  updatable: it is moved on by every new event).

Row triggers do not fire on TRUNCATE (the test suite's flush). On SQLite (development) the
migration does nothing: the Python guards stand alone.
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION intake_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% % cannot be %; %',
        TG_ARGV[0], OLD.id, CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'changed' END,
        TG_ARGV[1]
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE OR REPLACE FUNCTION intake_decision_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    scheduling text[] := ARRAY[
        'planned_procedure_date', 'planned_date_set_by_id', 'planned_date_set_at'
    ];
BEGIN
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - scheduling) = (to_jsonb(OLD) - scheduling) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'signed decision % of intake % cannot be %; amend it instead',
        OLD.id, OLD.intake_id, CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'changed' END
        USING ERRCODE = 'restrict_violation';
END
$$;
"""

REFUSE = "intake_refuse_change"
TRIGGERS = [
    (
        "intake_screening",
        "intake_screening_immutable",
        f"{REFUSE}('screening', 'screen the intake again instead')",
    ),
    ("intake_decision", "intake_decision_immutable", "intake_decision_guard()"),
    (
        "intake_emergencyaction",
        "intake_emergencyaction_immutable",
        f"{REFUSE}('emergency action', 'record a correction instead')",
    ),
    (
        "intake_auditevent",
        "intake_auditevent_append_only",
        f"{REFUSE}('audit event', 'the audit log is append-only')",
    ),
]


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS, params=None)
    for table, name, call in TRIGGERS:
        schema_editor.execute(
            f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {call}"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, _call in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS intake_refuse_change()")
    schema_editor.execute("DROP FUNCTION IF EXISTS intake_decision_guard()")


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0005_audit_log"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
