"""What the patient app's shell is made of: its static files, the URLs the browser fetches them
at, a version that changes whenever one of them does, and the string catalogues.

The service worker caches exactly `shell_urls()`. The files are referenced by their plain
static URLs, not Django's hashed names: the JavaScript modules import each other by relative
paths, which the manifest storage does not rewrite, so a hashed entry module would still load
the unhashed ones. The cache is refreshed instead by the version (a hash of the files' bytes),
which is part of the service worker's text: any change to any file is a new worker, which
fetches the whole list again past the HTTP cache.

Vendored libraries (static/patientapp/vendor/, see VENDORED.md) are not part of the shell: the
Firebase SDK is only imported, online, when push is configured, to get a push token, so caching
its ~150 KB on every phone would buy nothing offline. The version does cover whether push is
configured, because the cached /app/ response carries the CSP that must open `connect-src` to
Firebase (views.firebase_csp): turning push on or off must replace the cached page.
"""

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse

APP_DIR = Path(__file__).resolve().parent
STATIC_DIR = APP_DIR / "static"
STATIC_PREFIX = "patientapp/"
SHELL_TEMPLATE = APP_DIR / "templates" / "patientapp" / "index.html"
# Loaded on demand from the network, never cached by the service worker (see above).
VENDOR_PREFIX = f"{STATIC_PREFIX}vendor/"

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"

# Sizes of the icons in static/patientapp/icons/ (checked against the files by a test).
ICONS = (
    {"src": "icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {
        "src": "icons/icon-maskable-512.png",
        "sizes": "512x512",
        "type": "image/png",
        "purpose": "maskable",
    },
)


def static_files() -> list[str]:
    """Every file of static/patientapp/ but the vendored ones, as a static path
    ("patientapp/js/app.js")."""
    root = STATIC_DIR / STATIC_PREFIX.rstrip("/")
    paths = (
        path.relative_to(STATIC_DIR).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    )
    return sorted(path for path in paths if not path.startswith(VENDOR_PREFIX))


def static_url(path: str) -> str:
    """The plain URL of a static file (STATIC_URL + path), as the modules' imports resolve."""
    return f"{settings.STATIC_URL}{path}"


def page_urls() -> list[str]:
    """The app's own pages the shell needs offline (the service worker itself is not cached)."""
    return [
        reverse("patientapp:shell"),
        reverse("patientapp:manifest"),
        reverse("patientapp:config"),
    ]


def shell_urls() -> list[str]:
    """What the service worker caches at install: the pages, then every static file."""
    return page_urls() + [static_url(path) for path in static_files()]


def push_configured() -> bool:
    """Both Firebase settings are set: the app may ask for push reminders."""
    return bool(settings.PATIENT_APP_FIREBASE_CONFIG) and bool(
        settings.PATIENT_APP_FIREBASE_VAPID_KEY
    )


def shell_version() -> str:
    """A short hash of the shell template and every static file's path and bytes, and of
    whether push is configured (it changes the cached page's CSP)."""
    files = _version() if settings.DEBUG else _cached_version()
    if not push_configured():
        return files
    return hashlib.sha256(f"{files}:push".encode()).hexdigest()[:16]


def _version() -> str:
    digest = hashlib.sha256(SHELL_TEMPLATE.read_bytes())
    for path in static_files():
        digest.update(path.encode())
        digest.update((STATIC_DIR / path).read_bytes())
    return digest.hexdigest()[:16]


@cache
def _cached_version() -> str:
    return _version()


def catalogue(language: str) -> dict[str, str]:
    """The app's strings in one language (the same files the JavaScript loads)."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    if settings.DEBUG:
        return _catalogue(language)
    return _cached_catalogue(language)


@cache
def _cached_catalogue(language: str) -> dict[str, str]:
    return _catalogue(language)


def _catalogue(language: str) -> dict[str, str]:
    path = STATIC_DIR / STATIC_PREFIX / "i18n" / f"{language}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if isinstance(value, str)}


def request_language(language_code: str | None) -> str:
    """The shell's language from the request's (Accept-Language, via LocaleMiddleware); the
    JavaScript then switches to the patient's own once signed in."""
    code = (language_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE
