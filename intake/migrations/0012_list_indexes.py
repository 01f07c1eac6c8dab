"""Indexes for the lists that grow with the years (issue 12).

- ``patient_name_order_idx`` (last name, first name, id): the patient list's pages are cut
  from it alone (an index-only scan), then only the 25 shown have their intakes counted.
- ``intake_needs_info_idx``: partial (info requested, or submitted with "needs information"),
  on the list's group, submission time, id and status, so a page of the needs-information list
  is an index-only scan instead of a sort of every such intake.
- ``intake_latest_submitted_idx`` (procedure, submission time descending, id descending; drafts
  left out): the impact preview's "latest N submitted intakes" reads N index entries.

Plain ``AddIndex`` (SQLite has no ``CONCURRENTLY``): on a large PostgreSQL table the build
blocks writes to the table while it runs.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0011_queue_rank_and_counts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="intake",
            index=models.Index(
                models.Case(
                    models.When(status="info_requested", then=models.Value(0)),
                    default=models.Value(1),
                    output_field=models.IntegerField(),
                ),
                models.F("submitted_at"),
                models.F("id"),
                models.F("status"),
                condition=models.Q(
                    ("status", "info_requested"),
                    models.Q(("outcome", "needs_info"), ("status", "submitted")),
                    _connector="OR",
                ),
                name="intake_needs_info_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="intake",
            index=models.Index(
                condition=models.Q(("status", "draft"), _negated=True),
                fields=["procedure", "-submitted_at", "-id"],
                name="intake_latest_submitted_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(
                fields=["last_name", "first_name", "id"], name="patient_name_order_idx"
            ),
        ),
    ]
