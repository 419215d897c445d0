"""Production: no defaults for secrets, hosts or the database. A bad deploy fails at boot."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env


def _required(name: str) -> str:
    value = env.str(name, default="")
    if not value.strip():
        raise ImproperlyConfigured(f"{name} must be set in production")
    return value


def _same_redis_database(first: str, second: str) -> bool:
    """redis://host:6379 and redis://host:6379/0 are the same database."""

    def key(url: str) -> tuple[str, int, str]:
        parts = urlsplit(url)
        return (parts.hostname or "", parts.port or 6379, parts.path.strip("/") or "0")

    return key(first) == key(second)


DEBUG = False
# The API's schema and docs are for care staff only, whatever the environment says.
API_DOCS_PUBLIC = False
SECRET_KEY = _required("SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters")
_required("ALLOWED_HOSTS")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
_required("DATABASE_URL")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# As in base.py: a server that does not answer fails a new connection after this long, not
# the operating system's minutes (a connect_timeout in the URL wins).
DATABASES["default"]["OPTIONS"] = {
    "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT_SECONDS", default=5),
    **DATABASES["default"].get("OPTIONS", {}),
}
# Web, worker and beat run in separate containers: only a real broker connects them.
if not REDIS_URL.startswith(("redis://", "rediss://")):  # noqa: F405
    raise ImproperlyConfigured("REDIS_URL must be set in production (redis:// or rediss://)")
# A deployment must say how pushes go out: "console" only logs them (nothing reaches phones).
_required("PUSH_SENDER")

# Its own Redis database: Django's cache.clear() empties the whole database it is in.
_required("CACHE_URL")
CACHES = {"default": env.cache("CACHE_URL")}
if _same_redis_database(CACHES["default"]["LOCATION"], REDIS_URL):  # noqa: F405
    raise ImproperlyConfigured("CACHE_URL must not be the broker's Redis database (REDIS_URL)")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The health check is probed over plain HTTP by the orchestrator inside the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# Pseudonymised exports' study ids are only as secret as this key (docs/settings.md). The
# development default is never used here: a weak or default key stops the boot, and with no
# key at all pseudonymised exports are refused (400 naming `pseudonymised`) until one is set.
EXPORT_PSEUDONYM_KEY = env.str("EXPORT_PSEUDONYM_KEY", default="").strip() or None
if EXPORT_PSEUDONYM_KEY is not None and (
    EXPORT_PSEUDONYM_KEY == EXPORT_PSEUDONYM_KEY_DEVELOPMENT_DEFAULT  # noqa: F405
    or len(EXPORT_PSEUDONYM_KEY) < 32
    or len(set(EXPORT_PSEUDONYM_KEY)) < 5
):
    raise ImproperlyConfigured(
        "EXPORT_PSEUDONYM_KEY must be at least 32 random characters, not the development default"
    )

# The benchmark baseline view is never mounted in production.
BENCH_ENDPOINTS = False

# Every staff account signs in with a second factor in production, whatever the environment
# says (issue 18). Provision factors with `create_staff ... --totp-secret` or at first sign-in.
STAFF_MFA_REQUIRED = True
