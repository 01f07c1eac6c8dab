"""Development on one machine: `make run`. SQLite unless DATABASE_URL says otherwise."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
# A development key: local.py is never used in production (see production.py).
SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-not-secret-6f2b0d1c9e8a4b7f")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "exports": EXPORTS_STORAGE,  # noqa: F405
    "documents": DOCUMENTS_STORAGE,  # noqa: F405
}

# Static files straight from the app folders (no collectstatic in development).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A demo clinic, so that `make run` shows complete handouts and emergency messages; set the
# real details in the environment.
CLINIC_NAME = env("CLINIC_NAME", "Demo Spine Clinic")
CLINIC_PHONE = env("CLINIC_PHONE", "(555) 010-2000")
CLINIC_ADDRESS = env("CLINIC_ADDRESS", "1 Example Street, Springfield")
ONCALL_PHONE = env("ONCALL_PHONE", "(555) 010-9111")
