# On PostgreSQL the database refuses what the Python guard refuses (as 0006 does for the
# clinical record and 0014 for documents): an answer entry is never deleted, and the one change
# it allows is the front desk's confirmation of a patient's answer, once. On SQLite
# (development) this does nothing.

from django.db import migrations

from intake.triggers import changed_once_guard

create_guard, drop_guard = changed_once_guard(
    table="intake_answerentry",
    function="intake_answer_entry_guard",
    trigger="intake_answerentry_kept",
    marker="confirmed_at",
    columns=("confirmed_at", "confirmed_by_id"),
    noun="answer entry",
    instead="record a new entry instead",
)


class Migration(migrations.Migration):
    dependencies = [("intake", "0017_answer_provenance_and_patient_links")]

    operations = [migrations.RunPython(create_guard, drop_guard)]
