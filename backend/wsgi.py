"""WSGI entry point for gunicorn. Production settings unless DJANGO_SETTINGS_MODULE says else.

gunicorn runs no system checks, so the proxy settings are checked here: a server that would
let a client choose the address the lockout and audit log see does not start."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.production")

application = get_wsgi_application()


def _check_proxy_settings() -> None:
    from django.conf import settings

    from backend.common.client_address import proxy_setting_problems

    problems = proxy_setting_problems(
        settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_ADDRESSES
    )
    if problems:
        raise ImproperlyConfigured(" ".join(problems))


_check_proxy_settings()
