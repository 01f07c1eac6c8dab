"""Each criteria set names its procedure (a snapshot, versioned with the set), and on PostgreSQL
triggers refuse what the Python guards refuse, so ``_base_manager``, ``QuerySet.update`` from
elsewhere and raw SQL cannot change published criteria either.

The triggers refuse:

- UPDATE or DELETE of a published or retired criteria set, except publishing -> retired (only
  ``status`` and ``retired_at`` change), as ``models.guard_criteria_set_write``; a draft stays
  editable and deletable, and can be published;
- INSERT, UPDATE or DELETE of a part of a set (question, parameter, derived value, rule,
  content block, golden case) whose set, before or after the write, is not a draft; the set's
  row is read FOR SHARE, so a part cannot slip into a set being published concurrently;
- UPDATE or DELETE of the criteria change log, except a deleted draft's rows losing their link
  to it (``on_delete=SET_NULL``: only ``criteria_set_id``, only to NULL, only for a draft);
- a new slug for a procedure that has a published or retired set.

Row triggers do not fire on TRUNCATE (the test suite's flush). A later data migration that
must change published criteria has to disable these triggers explicitly, in the open.
On SQLite (development) the migration only adds the field: the Python guards stand alone.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

PARTS = {
    "screener_question": "questions",
    "screener_parameter": "parameters",
    "screener_derivedvalue": "derived values",
    "screener_rule": "rules",
    "screener_contentblock": "content blocks",
    "screener_goldencase": "golden cases",
}

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION screener_set_label(set_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT p.slug || ' v' || s.version
    FROM screener_criteriaset s JOIN screener_procedure p ON p.id = s.procedure_id
    WHERE s.id = set_id
$$;

CREATE OR REPLACE FUNCTION screener_criteriaset_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'draft' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- A save that changes nothing is no change (as the Python guard).
        IF to_jsonb(NEW) = to_jsonb(OLD) THEN RETURN NEW; END IF;
        IF OLD.status = 'published' AND NEW.status = 'retired'
           AND (to_jsonb(NEW) - 'status' - 'retired_at')
               = (to_jsonb(OLD) - 'status' - 'retired_at') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'criteria set % is %: it cannot be %; clone it as a new draft',
        screener_set_label(OLD.id), OLD.status,
        CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'changed' END
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE OR REPLACE FUNCTION screener_criteria_part_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    set_ids bigint[] := '{}';
    set_id bigint;
    set_status text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN set_ids := set_ids || OLD.criteria_set_id; END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN set_ids := set_ids || NEW.criteria_set_id; END IF;
    FOREACH set_id IN ARRAY set_ids LOOP
        -- FOR SHARE: publishing (which locks the set FOR UPDATE) waits for this write to
        -- commit, and this write waits for a publish under way, then sees it published.
        SELECT status INTO set_status FROM screener_criteriaset WHERE id = set_id FOR SHARE;
        IF set_status <> 'draft' THEN
            RAISE EXCEPTION 'criteria set % is %: its % cannot be changed; clone it as a new draft',
                screener_set_label(set_id), set_status, TG_ARGV[0]
                USING ERRCODE = 'restrict_violation';
        END IF;
    END LOOP;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION screener_criteriachange_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Deleting a draft sets its change-log rows' criteria_set to NULL (on_delete=SET_NULL):
    -- the one change allowed, and only that column, only to NULL, only for a draft.
    IF TG_OP = 'UPDATE' AND OLD.criteria_set_id IS NOT NULL AND NEW.criteria_set_id IS NULL
       AND (to_jsonb(NEW) - 'criteria_set_id') = (to_jsonb(OLD) - 'criteria_set_id')
       AND EXISTS (
           SELECT 1 FROM screener_criteriaset
           WHERE id = OLD.criteria_set_id AND status = 'draft'
       ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the criteria change log is append-only: entry % (%) cannot be %',
        OLD.id, OLD.set_label, CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'changed' END
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE OR REPLACE FUNCTION screener_procedure_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.slug IS DISTINCT FROM OLD.slug AND EXISTS (
        SELECT 1 FROM screener_criteriaset WHERE procedure_id = OLD.id AND status <> 'draft'
    ) THEN
        RAISE EXCEPTION 'procedure % has a published version: its slug cannot be changed',
            OLD.slug USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
"""

TRIGGERS = [
    (
        "screener_criteriaset",
        "screener_criteriaset_immutable",
        "BEFORE UPDATE OR DELETE",
        "screener_criteriaset_guard()",
    ),
    *(
        (
            table,
            f"{table}_immutable",
            "BEFORE INSERT OR UPDATE OR DELETE",
            f"screener_criteria_part_guard('{label}')",
        )
        for table, label in PARTS.items()
    ),
    (
        "screener_criteriachange",
        "screener_criteriachange_append_only",
        "BEFORE UPDATE OR DELETE",
        "screener_criteriachange_guard()",
    ),
    (
        "screener_procedure",
        "screener_procedure_slug_frozen",
        "BEFORE UPDATE",
        "screener_procedure_guard()",
    ),
]

FUNCTION_NAMES = [
    "screener_criteriaset_guard()",
    "screener_criteria_part_guard()",
    "screener_criteriachange_guard()",
    "screener_procedure_guard()",
    "screener_set_label(bigint)",
]


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS, params=None)
    for table, name, when, call in TRIGGERS:
        schema_editor.execute(
            f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {call}"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, _when, _call in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for function in FUNCTION_NAMES:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}")


def name_existing_sets(apps, schema_editor):
    # Every existing version shows the name its procedure has today (before the triggers
    # exist: this fills a new column, it changes no criteria).
    CriteriaSet = apps.get_model("screener", "CriteriaSet")
    Procedure = apps.get_model("screener", "Procedure")
    CriteriaSet.objects.update(
        procedure_name=Subquery(
            Procedure.objects.filter(pk=OuterRef("procedure_id")).values("name")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("screener", "0003_content_blocks_as_data_and_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="criteriaset",
            name="procedure_name",
            field=models.CharField(
                default="",
                help_text=(
                    "The procedure's name as this version shows it on pages and patient handouts."
                ),
                max_length=200,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(name_existing_sets, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="criteriaset",
            constraint=models.CheckConstraint(
                condition=models.Q(("procedure_name", ""), _negated=True),
                name="criteria_set_names_procedure",
            ),
        ),
        migrations.AlterField(
            model_name="criteriachange",
            name="action",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("edited", "Edited"),
                    ("cloned", "Cloned as new draft"),
                    ("published", "Published"),
                    ("retired", "Retired"),
                    ("imported", "Imported"),
                    ("deleted", "Deleted draft"),
                    ("rescreened", "Re-screened open intakes"),
                    ("procedure", "Procedure renamed or changed"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
