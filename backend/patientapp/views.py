"""The patient app's four server-side pieces. Everything else is static files that talk to the
public API (/api/v1/) with the patient's bearer token, so these views read no patient data and
need no sign-in."""

import json
from collections.abc import Callable
from functools import wraps

from csp.decorators import csp_update
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from . import shell as shell_parts

# The browser must ask the server for these each time (the service worker keeps the shell for
# offline use), so a new version reaches phones at their next start.
NO_CACHE = "no-cache"

# What the Firebase web SDK's getToken() fetches from the page, read in the vendored
# static/patientapp/vendor/firebase-13.2.0/firebase-messaging.js (a test checks this list
# against that file): Firebase Installations (the app instance's id and auth token) and FCM
# registrations (the token itself). PushManager.subscribe() talks to the browser's push
# service, which the page's CSP does not govern.
FIREBASE_CONNECT_SRC = (
    "https://firebaseinstallations.googleapis.com",
    "https://fcmregistrations.googleapis.com",
)


def firebase_csp(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponseBase]:
    """Add Firebase's hosts to the page's connect-src when, and only when, push is configured.
    django-csp's csp_update does the merging; its argument is chosen per request, from the
    settings, because a decorator's argument is fixed at import. Nothing else is loosened:
    scripts still come only from 'self' (the SDK is vendored)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        config = (
            {"connect-src": list(FIREBASE_CONNECT_SRC)} if shell_parts.push_configured() else None
        )
        return csp_update(config)(view)(request, *args, **kwargs)

    return wrapped


@require_GET
@firebase_csp
def shell(request: HttpRequest) -> HttpResponse:
    """The one HTML page. Settings reach the JavaScript as data- attributes: the CSP allows no
    inline script. Only this page fetches from Firebase, so only its CSP names it (the worker
    never fetches another origin)."""
    language = shell_parts.request_language(getattr(request, "LANGUAGE_CODE", None))
    strings = shell_parts.catalogue(language)
    context = {
        "language": language,
        "title": strings["app.name"],
        "loading": strings["app.loading"],
        "noscript": strings["app.noscript"],
        "skip": strings["app.skip_to_content"],
        "css_url": shell_parts.static_url("patientapp/app.css"),
        "js_url": shell_parts.static_url("patientapp/js/app.js"),
        "icon_url": shell_parts.static_url("patientapp/icons/icon-192.png"),
        "i18n_url": shell_parts.static_url("patientapp/i18n/"),
        "manifest_url": reverse("patientapp:manifest"),
        "sw_url": reverse("patientapp:service-worker"),
        "scope": reverse("patientapp:shell"),
        "config_url": reverse("patientapp:config"),
        "api_url": "/api/v1/",
    }
    response = render(request, "patientapp/index.html", context)
    response["Cache-Control"] = NO_CACHE
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from /app/ so that its scope is the app. Its cache list and version are written
    into it, so any change to the shell is a byte change the browser notices."""
    context = {
        "version": shell_parts.shell_version(),
        # json.dumps of plain URL strings: a JavaScript array literal, nothing to escape.
        "shell_urls": mark_safe(json.dumps(shell_parts.shell_urls())),  # noqa: S308
        "shell_url": mark_safe(json.dumps(reverse("patientapp:shell"))),  # noqa: S308
        "config_url": mark_safe(json.dumps(reverse("patientapp:config"))),  # noqa: S308
    }
    response = render(
        request, "patientapp/sw.js", context, content_type="text/javascript; charset=utf-8"
    )
    response["Cache-Control"] = NO_CACHE
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest (install to the home screen, standalone window, icons)."""
    language = shell_parts.request_language(getattr(request, "LANGUAGE_CODE", None))
    strings = shell_parts.catalogue(language)
    scope = reverse("patientapp:shell")
    body = {
        "name": strings["app.name"],
        "short_name": strings["app.short_name"],
        "description": strings["app.description"],
        "lang": language,
        "start_url": scope,
        "scope": scope,
        "id": scope,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [
            {**icon, "src": shell_parts.static_url(f"patientapp/{icon['src']}")}
            for icon in shell_parts.ICONS
        ],
    }
    response = JsonResponse(body, content_type="application/manifest+json")
    response["Cache-Control"] = NO_CACHE
    return response


@require_GET
def config(request: HttpRequest) -> JsonResponse:
    """What the app needs to know about this server. The Firebase web config is public by
    design (it names the project; it grants nothing), so it may be shown to anyone."""
    body = {
        "version": shell_parts.shell_version(),
        "languages": list(shell_parts.LANGUAGES),
        "default_language": shell_parts.DEFAULT_LANGUAGE,
        # How many days back a dose may be logged or corrected (History's tappable days).
        "dose_backfill_days": settings.DOSE_BACKFILL_DAYS,
        # Today's due card: a dose this long past its time is late (the server's taken_late),
        # and one logged more than this many hours early asks "take it now?" (§2.6, DESIGN).
        "dose_late_after_minutes": settings.DOSE_LATE_AFTER_MINUTES,
        "dose_early_confirm_hours": settings.DOSE_EARLY_CONFIRM_HOURS,
        "push": {
            "configured": shell_parts.push_configured(),
            "firebase": settings.PATIENT_APP_FIREBASE_CONFIG or {},
            "vapid_key": settings.PATIENT_APP_FIREBASE_VAPID_KEY,
        },
    }
    response = JsonResponse(body)
    response["Cache-Control"] = NO_CACHE
    return response
