"""Production: only DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL are required from
the environment; everything else has a safe default (HTTPS only, HSTS for a year with
subdomains and preload, secure cookies, persistent database connections with health checks).
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import (
    DATABASES,
    SECRET_KEY,
    env,
    env_bool,
    env_int,
    require_database_url,
    require_secret_key,
)

DEBUG = False
SECRET_KEY = require_secret_key(SECRET_KEY, minimum_length=50)
require_database_url(env("DATABASE_URL", ""))

# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True

# Several app servers (and threads) on one PostgreSQL: keep connections, check them before use
# so a database restart costs no request.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Physicians and criteria admins sign in with a second factor (intake/two_factor.py).
MFA_REQUIRED = env_bool("MFA_REQUIRED", True)
