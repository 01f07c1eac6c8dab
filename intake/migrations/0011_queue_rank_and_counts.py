"""The review queue at 100,000 and 1,000,000 intakes (issue 12).

- ``Intake.queue_rank``: the urgency rank as a stored generated column, and indexes that give
  the queue in its order (by status; by status and outcome; every status but drafts, with or
  without an outcome), so the page reads an index range instead of sorting the table. The old
  ``intake_queue_idx`` (status, outcome, submitted_at) is a prefix of the new ones' columns.
- ``QueueCount``: intakes per (status, procedure, outcome, emergency), kept exact by triggers
  on ``intake_intake`` and filled here from the rows already there. The triggers, and why they
  are triggers, are in ``intake.triggers``.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from intake.triggers import create_queue_count_triggers, drop_queue_count_triggers


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
