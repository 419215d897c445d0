"""The test suite. DATABASE_URL / REDIS_URL (CI sets both) switch to PostgreSQL and Redis."""

import os
from pathlib import Path

from .base import *  # noqa: F403
from .env import VAR_DIR, env

DEBUG = False
SECRET_KEY = "test-only-key-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
# Fast hashing: the suite creates many users; production keeps Django's default hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The suite's own broker folder, so a running `make run` is never fed test messages.
if not REDIS_URL:  # noqa: F405
    CELERY_BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "test-broker")))
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(CELERY_BROKER_DIR)  # noqa: F405
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # The browser tests' live server answers from several threads at once (the queue's
    # refresh, a click, an API call). An in-memory test database would be one connection
    # shared by all of them; a file gives each thread its own. One file per test process, so
    # two runs on one checkout never share it; Django deletes it when the run ends. var/ may
    # not exist yet in a fresh checkout.
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")
    }
# The staff second factor is off for the suite (its sign-in helpers use a password only);
# tests/accounts/test_mfa.py and tests/dashboard/test_mfa.py turn it on.
STAFF_MFA_REQUIRED = False
