"""Production serving: settings that refuse to start unsafe, a clean `check --deploy` with only
the three required variables, a health check that notices uncollected static files, and the
gunicorn configuration that `make serve` uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from django.core.files.storage import storages

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k3y-" + "Zx9q7Lm2Vb8Nc4Rt6Yw1Pe5Ua0Is3Od" * 2  # 68 characters, many distinct


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`manage.py` in a fresh process with production settings and exactly this environment."""
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        **env,
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


REQUIRED = {
    "DJANGO_SECRET_KEY": GOOD_KEY,
    "DJANGO_ALLOWED_HOSTS": "screener.example.org",
    "DATABASE_URL": "postgres://screener:secret@127.0.0.1:5432/screener",
}


def test_check_deploy_prints_nothing_with_only_the_three_required_settings():
    done = manage("check", "--deploy", "--fail-level", "WARNING", **REQUIRED)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "System check identified no issues (0 silenced)."
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "Set DJANGO_SECRET_KEY in the environment."),
        ("short", "DJANGO_SECRET_KEY is too weak: use at least 50 random characters"),
        ("a" * 80, "DJANGO_SECRET_KEY is too weak"),
        ("django-insecure-" + "x1y2z3" * 10, "DJANGO_SECRET_KEY is too weak"),
    ],
)
def test_production_refuses_a_missing_or_weak_secret_key(key, message):
    done = manage("check", **(REQUIRED | {"DJANGO_SECRET_KEY": key}))
    assert done.returncode != 0
    assert message in done.stderr


def test_production_refuses_to_start_without_a_database_url():
    environment = dict(REQUIRED)
    del environment["DATABASE_URL"]
    done = manage("check", **environment)
    assert done.returncode != 0
    assert "Set DATABASE_URL in the environment" in done.stderr


def test_production_settings_are_strict():
    """The values `check --deploy` cannot see: HSTS a year with subdomains and preload, health-
    checked persistent connections, secure cookies."""
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,"
        " s.DATABASES['default']['CONN_MAX_AGE'], s.DATABASES['default']['CONN_HEALTH_CHECKS'],"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.DEBUG)"
    )
    done = manage("shell", "--no-imports", "-c", code, **REQUIRED)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "31536000",
        "True",
        "True",
        "60",
        "True",
        "True",
        "True",
        "False",
    ]


@pytest.mark.django_db
def test_health_check_fails_while_static_files_are_not_collected(client, settings, tmp_path):
    """Without collectstatic every page would be a 500 while /healthz said ok."""
    # Changing these settings resets Django's cached static storage (test signal handlers).
    settings.STATIC_ROOT = tmp_path  # empty: nothing collected
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "static": "not collected (run manage.py collectstatic)",
    }
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1", "hash": ""}')
    assert isinstance(storages["staticfiles"], ManifestStaticFilesStorage)
    assert client.get("/healthz").json()["status"] == "ok"


def test_gunicorn_configuration_uses_threads_and_keeps_patient_data_out_of_access_logs():
    namespace: dict = {}
    exec((ROOT / "config" / "gunicorn.py").read_text(), namespace)
    assert namespace["worker_class"] == "gthread"
    assert namespace["timeout"] >= 60
    assert "%(U)s" in namespace["access_log_format"]  # the path only
    assert (
        "%(q)s" not in namespace["access_log_format"]
        and "%(r)s" not in namespace["access_log_format"]
    )  # no query string (a search term could be a name)
