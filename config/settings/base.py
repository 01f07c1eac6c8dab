"""Settings shared by every environment. Everything that differs comes from the environment."""

import datetime
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.settings.env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "simple_history",
    "screener",
    "intake",
    "authorization",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "intake.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "intake.session_timeout.SessionTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "intake.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "intake.audit_middleware.AuditRefusalMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "intake.context_processors.navigation",
                "intake.context_processors.clinic",
                "intake.patient_link.context.patient_red_flags",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the task worker share the file.
    # Transactions begin IMMEDIATE (take the write lock at BEGIN): a deferred transaction that
    # reads and then writes (the audit chain's head) fails at once with "database is locked"
    # when another writer got in between, busy timeout or not (SQLite has no row locks, so
    # select_for_update does nothing). Measured: 14 of 40 patient-list requests were 500s
    # under 8 concurrent clients and 2 gunicorn workers before this (manage.py bench).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A criteria set's questions page in admin posts about a thousand fields (Django's default cap).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# Sign-in. Axes first: it refuses a locked-out username or address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2 for new passwords; the others stay so that existing hashes still verify (and are
# upgraded to Argon2 at the next sign-in).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Lockout (django-axes): 5 failed sign-ins for one username (from any address), or from one
# address (for any username), lock that username or address for 15 minutes from the fifth
# failure; attempts while locked are refused unchecked and do not extend it. A superuser lifts
# it sooner in admin ("Access attempts") or with `manage.py axes_reset_username NAME`.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "intake.views.sign_in.locked_out"
# The address is the one the audit log records (intake.services.audit.source_address).
AXES_CLIENT_IP_CALLABLE = "intake.services.audit.source_address"
# Sign-ins, sign-outs, failures and lockouts are in the audit log (intake/auth_audit.py).
AXES_DISABLE_ACCESS_LOG = True
# No start-up banner (check --deploy prints nothing); failures are still logged as warnings.
AXES_VERBOSE = False
# Named on the lockout page: who unlocks an account (for example "the practice manager,
# ext. 2040"). Empty: "the clinic's system administrator".
ACCOUNT_HELP_CONTACT = env("ACCOUNT_HELP_CONTACT", "")

# Two-factor sign-in (TOTP, django-otp): optional for physicians and criteria admins; with
# MFA_REQUIRED on (production's default) they set up an authenticator app before anything else.
MFA_REQUIRED = env_bool("MFA_REQUIRED", False)
OTP_TOTP_ISSUER = "Spine Screener"
# Admin lists devices (a superuser removes a lost one) but never shows their secrets.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# The patient's own link is in English and Spanish (staff pages are English only).
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

STATIC_URL = "static/"
# Where collectstatic puts the files (`manage.py bench` collects into a temporary folder).
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# The review queue's CSV exports (intake.QueueExport): written by the task worker into this
# private directory (outside static/ and every web root; the storage has no URL), downloaded only
# through the export's page by the physician who asked, deleted QUEUE_EXPORT_KEEP_HOURS after
# they were written (`manage.py expire_queue_exports`, run it hourly) and refused from then on.
QUEUE_EXPORT_DIR = Path(env("QUEUE_EXPORT_DIR", str(BASE_DIR / "var" / "queue-exports")))
QUEUE_EXPORT_KEEP_HOURS = env_int("QUEUE_EXPORT_KEEP_HOURS", 24)
EXPORTS_STORAGE = {
    "BACKEND": "intake.exports.storage.PrivateFileSystemStorage",
    "OPTIONS": {
        "location": QUEUE_EXPORT_DIR,
        "file_permissions_mode": 0o600,
        "directory_permissions_mode": 0o700,
    },
}


def documents_storage(documents_dir: Path) -> dict:
    """Where documents attached to intakes are kept (``STORAGES["documents"]``): a private
    S3-compatible bucket when ``DOCUMENTS_S3_BUCKET`` names one (objects private, no URL, signed
    or not: the download view reads them), else the private directory ``documents_dir``. Empty
    keys leave boto3 its own credentials (an instance role, ``AWS_*`` variables)."""
    bucket = env("DOCUMENTS_S3_BUCKET", "")
    if bucket:
        return {
            "BACKEND": "intake.documents.storage.PrivateS3DocumentStorage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": env("DOCUMENTS_S3_ENDPOINT_URL", "") or None,
                "region_name": env("DOCUMENTS_S3_REGION", "") or None,
                "access_key": env("DOCUMENTS_S3_ACCESS_KEY_ID", "") or None,
                "secret_key": env("DOCUMENTS_S3_SECRET_ACCESS_KEY", "") or None,
                "location": env("DOCUMENTS_S3_PREFIX", "documents"),
                "default_acl": "private",
                "file_overwrite": False,
            },
        }
    return {
        "BACKEND": "intake.documents.storage.PrivateDocumentStorage",
        "OPTIONS": {
            "location": documents_dir,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }


# Documents attached to intakes (imaging reports, referral letters, ...): PDF, JPEG or PNG, told
# by their bytes, at most DOCUMENT_MAX_BYTES each, kept outside every web root (DOCUMENTS_DIR on
# this server, or a bucket: see documents_storage) and sent only by the document's view. On
# several app servers use the bucket, or a directory they share.
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_BYTES", 20 * 1024 * 1024)
# Uploads past DOCUMENT_MAX_BYTES are cut off as they arrive (intake/documents/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "intake.documents.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DOCUMENTS_DIR = Path(env("DOCUMENTS_DIR", str(BASE_DIR / "var" / "documents")))
DOCUMENTS_STORAGE = documents_storage(DOCUMENTS_DIR)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "exports": EXPORTS_STORAGE,
    "documents": DOCUMENTS_STORAGE,
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A running background job without a heartbeat for this long has stalled (its worker died):
# its progress page says so and offers to resume it, and the next worker resumes it.
CRITERIA_JOB_STALL_SECONDS = env_int("CRITERIA_JOB_STALL_SECONDS", 120)

SESSION_COOKIE_HTTPONLY = True
# A session ends after SESSION_IDLE_TIMEOUT seconds without a request and SESSION_ABSOLUTE_TIMEOUT
# seconds after signing in (intake.session_timeout); logged-in pages warn SESSION_WARNING_SECONDS
# before the idle limit, and the intake form saves its draft first. The cookie lasts until the
# browser closes; the stored session expires with the absolute limit.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 15 * 60)
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", 12 * 60 * 60)
SESSION_WARNING_SECONDS = env_int("SESSION_WARNING_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
# Messages name patients ("Patient ... registered (MRN ...)"): kept in the session, never a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and styles only from our own static files, so
# no inline script, style element or style attribute runs; no plugins, no <base>, no framing,
# forms post only here. Images also as data: URIs (Bootstrap's icons are inline SVG in CSS).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Permissions-Policy (intake.middleware): browser features no page of ours uses, refused to
# every frame, ours included.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "bluetooth",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
SECURE_REFERRER_POLICY = "same-origin"

# Reverse proxies whose X-Forwarded-For is believed (their own addresses, comma-separated): the
# client address of the audit log and of the sign-in lockout. Empty: the connection's address.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])

# The criteria sets `manage.py setup_demo` loads on a fresh install: fixtures/<slug>.json, each
# the procedure of that slug, loaded when the procedure has no criteria set yet.
DEFAULT_CRITERIA_FIXTURES = env_list("DEFAULT_CRITERIA_FIXTURES", ["vertebroplasty"])

# The clinic, as handouts and emergency messages name it.
CLINIC_NAME = env("CLINIC_NAME", "")
CLINIC_PHONE = env("CLINIC_PHONE", "")
CLINIC_ADDRESS = env("CLINIC_ADDRESS", "")
# The clinic's FHIR namespace: canonical URLs of the Questionnaires and identifier systems
# (intake/fhir/canonical.py). Set it to a URL the clinic controls before exchanging resources.
FHIR_CANONICAL_BASE = env("FHIR_CANONICAL_BASE", "https://spine-screener.invalid/fhir")

# The number staff call for an emergency red flag (the on-call spine clinician).
ONCALL_PHONE = env("ONCALL_PHONE", "")

# Mail: only the password-reset pages send any, so they are routed only when mail is
# configured (config/auth_urls.py): EMAIL_HOST names an SMTP server, or EMAIL_BACKEND names a
# Django mail backend other than the dummy one. Without either, no mail is sent at all.
DUMMY_EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
EMAIL_HOST = env("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else DUMMY_EMAIL_BACKEND,
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "webmaster@localhost")
PASSWORD_RESET_BY_EMAIL = EMAIL_BACKEND != DUMMY_EMAIL_BACKEND

# Review turnaround limits (hours) before a queue row is highlighted.
REVIEW_TURNAROUND_URGENT_HOURS = env_int("REVIEW_TURNAROUND_URGENT_HOURS", 24)
REVIEW_TURNAROUND_OTHER_HOURS = env_int("REVIEW_TURNAROUND_OTHER_HOURS", 7 * 24)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
    # Django's own console handler would print every line twice beside the root one.
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}


def require_secret_key(key: str, *, minimum_length: int = 1) -> str:
    """The secret key, refused when missing or too weak to sign sessions with."""
    if not key:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY in the environment.")
    if len(key) < minimum_length or len(set(key)) < 5 or key.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is too weak: use at least {minimum_length} random characters "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    return key


def require_database_url(url: str) -> str:
    if not url:
        raise ImproperlyConfigured(
            "Set DATABASE_URL in the environment (postgres://user:password@host:5432/name)."
        )
    return url


# The patient's own link (intake.patient_link): days a link works, wrong dates of birth that
# lock it, refused tries an address may make in the window before it must wait, and how long
# the patient's session lasts without a request.
PATIENT_LINK_DAYS = env_int("PATIENT_LINK_DAYS", 7)
PATIENT_LINK_MAX_FAILURES = env_int("PATIENT_LINK_MAX_FAILURES", 5)
PATIENT_LINK_RATE_LIMIT = env_int("PATIENT_LINK_RATE_LIMIT", 20)
PATIENT_LINK_RATE_WINDOW_SECONDS = env_int("PATIENT_LINK_RATE_WINDOW_SECONDS", 15 * 60)
PATIENT_SESSION_SECONDS = env_int("PATIENT_SESSION_SECONDS", 30 * 60)
