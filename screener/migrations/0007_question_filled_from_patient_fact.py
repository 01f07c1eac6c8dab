"""A question "filled by the app" names the fact of the patient's record that fills it.

``Question.derived_by_app`` (a yes/no) becomes ``Question.filled_from``: blank for a question
that is asked, ``age`` for the age in whole years from the date of birth, ``sex`` for the sex on
the patient record. The app used to fill every number question marked ``derived_by_app`` with
the age, so each such question of every existing set, drafts and published, is marked ``age``:
every screening under those sets comes out exactly as before. (A question marked
``derived_by_app`` that was not a number question was never filled nor asked; it stays blank,
and is asked from now on: no stored intake can hold an answer to it, since the app refused one.)

Published sets are immutable, and on PostgreSQL triggers refuse writes to their questions; this
migration disables the question trigger for the data step, in the open, and enables it again.
"""

from django.db import migrations, models

NUMBER_TYPES = ("int", "decimal")


def _question_trigger(schema_editor, action):
    if schema_editor.connection.vendor == "postgresql":
        if action == "ENABLE":
            schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(
            f"ALTER TABLE screener_question {action} TRIGGER screener_question_immutable"
        )


def age_from_derived(apps, schema_editor):
    Question = apps.get_model("screener", "Question")
    _question_trigger(schema_editor, "DISABLE")
    Question.objects.filter(derived_by_app=True, type__in=NUMBER_TYPES).update(filled_from="age")
    _question_trigger(schema_editor, "ENABLE")


def derived_from_filled(apps, schema_editor):
    Question = apps.get_model("screener", "Question")
    _question_trigger(schema_editor, "DISABLE")
    Question.objects.exclude(filled_from="").update(derived_by_app=True)
    _question_trigger(schema_editor, "ENABLE")


class Migration(migrations.Migration):

    dependencies = [
        ("screener", "0006_procedure_facts_as_criteria"),
    ]

    operations = [
        migrations.AddField(
            model_name="question",
            name="filled_from",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Nothing: the question is asked"),
                    ("age", "Age in whole years, from the date of birth (a number question)"),
                    (
                        "sex",
                        "Sex, from the patient record (a choice of female, male, other, unknown)",
                    ),
                ],
                default="",
                help_text="A question filled by the app from the patient's record is not asked.",
                max_length=10,
                verbose_name="filled by the app from",
            ),
        ),
        migrations.RunPython(age_from_derived, derived_from_filled),
        migrations.RemoveField(
            model_name="question",
            name="derived_by_app",
        ),
    ]
