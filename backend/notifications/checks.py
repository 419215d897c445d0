"""Start-up checks: a push configuration that cannot work stops `manage.py` commands early."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured


@register()
def push_settings_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    if settings.PUSH_SENDER not in ("console", "fcm", "fcm-send-each"):
        return [
            Error(
                "PUSH_SENDER must be 'console', 'fcm' or 'fcm-send-each'",
                id="notifications.E001",
            )
        ]
    if settings.PUSH_SENDER == "console":
        return []
    from .fcm import FcmConfig  # only when the fcm sender is chosen

    config = FcmConfig(
        endpoint=settings.FCM_ENDPOINT,
        project_id=settings.FCM_PROJECT_ID,
        credentials_file=settings.FCM_CREDENTIALS_FILE,
        static_token=settings.FCM_STATIC_TOKEN,
        http_retries=settings.FCM_HTTP_RETRIES,
    )
    try:
        config.validate()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="notifications.E002")]
    if config.credentials_file:
        from pathlib import Path

        if not Path(config.credentials_file).is_file():
            return [
                Error(
                    f"FCM_CREDENTIALS_FILE {config.credentials_file} is not a file",
                    id="notifications.E003",
                )
            ]
    return []
