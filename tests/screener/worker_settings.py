"""Settings of the real task worker that tests/screener/test_worker_faults.py starts: the test
settings (database from DATABASE_URL) with the database task backend a worker reads."""

from config.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
