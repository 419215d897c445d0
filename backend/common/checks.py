"""Start-up check of the reverse-proxy settings (client_address.proxy_setting_problems)."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from .client_address import proxy_setting_problems


@register()
def proxy_settings_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    return [
        Error(problem, id="common.E001")
        for problem in proxy_setting_problems(
            settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_ADDRESSES
        )
    ]
