"""The test suite: fast hashing, no manifest for static files, database from DATABASE_URL."""

import tempfile
from pathlib import Path

from config.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-not-secret"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Export files of tests go to the system's temporary directory, never into the project's var/.
EXPORTS_STORAGE = {
    **EXPORTS_STORAGE,  # noqa: F405
    "OPTIONS": {
        **EXPORTS_STORAGE["OPTIONS"],  # noqa: F405
        "location": Path(tempfile.gettempdir()) / "screener-test-queue-exports",
    },
}
# Documents likewise, on the file system whatever the environment says (a test that stores one
# points the storage at its own directory: tests/intake/documents/conftest.py).
DOCUMENTS_STORAGE = {
    "BACKEND": "intake.documents.storage.PrivateDocumentStorage",
    "OPTIONS": {"location": Path(tempfile.gettempdir()) / "screener-test-documents"},
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "exports": EXPORTS_STORAGE,
    "documents": DOCUMENTS_STORAGE,
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
LOGGING = {"version": 1, "disable_existing_loggers": False}
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tests see a configured clinic; a test that needs the unconfigured case overrides them.
CLINIC_NAME = "Riverside Spine Clinic"
CLINIC_PHONE = "(555) 010-2000"
CLINIC_ADDRESS = "100 River Road, Springfield"
ONCALL_PHONE = "(555) 010-9111"
