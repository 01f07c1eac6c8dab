# On PostgreSQL the database refuses what the Python guard refuses (as 0006 does for the
# clinical record and 0014 for documents): an answer entry is never deleted, and the one change
# it allows is the front desk's confirmation of a patient's answer, once. On SQLite
# (development) this does nothing.

from django.db import migrations

CONFIRMATION = "'confirmed_at', 'confirmed_by_id'"
GUARD = f"""
CREATE OR REPLACE FUNCTION intake_answer_entry_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.confirmed_at IS NULL
       AND (to_jsonb(NEW) - ARRAY[{CONFIRMATION}]) = (to_jsonb(OLD) - ARRAY[{CONFIRMATION}]) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'answer entry % of intake % cannot be %; record a new entry instead',
        OLD.id, OLD.intake_id, CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'changed' END
        USING ERRCODE = 'restrict_violation';
END
$$;
"""


def create_guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(GUARD, params=None)
    schema_editor.execute(
        "CREATE TRIGGER intake_answerentry_kept BEFORE UPDATE OR DELETE "
        "ON intake_answerentry FOR EACH ROW EXECUTE FUNCTION intake_answer_entry_guard()"
    )


def drop_guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS intake_answerentry_kept ON intake_answerentry")
    schema_editor.execute("DROP FUNCTION IF EXISTS intake_answer_entry_guard()")


class Migration(migrations.Migration):
    dependencies = [("intake", "0017_answer_provenance_and_patient_links")]

    operations = [migrations.RunPython(create_guard, drop_guard)]
