"""Production: PostgreSQL through DATABASE_URL, secrets and hosts from the environment."""

from config.settings.base import *  # noqa: F403
from config.settings.base import SECRET_KEY, env_bool, env_int, require_secret_key

DEBUG = False
SECRET_KEY = require_secret_key(SECRET_KEY)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 30)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
