"""Development: `make run`. SQLite and the filesystem broker unless DATABASE_URL / REDIS_URL."""

from .base import *  # noqa: F403
from .env import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Serve static files straight from the apps, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEMO_PASSWORD = env("DEMO_PASSWORD", default="imatinib-demo-2026")
# `make run` enrols the demo staff (seed_demo) with this TOTP secret and prints it, so anyone
# trying the demo can sign in with `oathtool --totp -b SECRET` or an authenticator app. A demo
# value only: production settings have no such setting (create_staff --totp-secret there).
DEMO_TOTP_SECRET = env("DEMO_TOTP_SECRET", default="DEMOGISTDEMOGISTDEMOGISTDEMOGIST")
