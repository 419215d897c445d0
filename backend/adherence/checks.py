from typing import Any

from django.core.checks import Error, register

from .guideline import deployment_guideline_settings


@register()
def guideline_settings_are_valid(app_configs: Any, **kwargs: Any) -> list[Error]:
    """A mistyped GUIDELINE_SETTINGS must stop the deployment, not every plan request."""
    try:
        deployment_guideline_settings()
    except (TypeError, ValueError) as error:
        return [Error(f"GUIDELINE_SETTINGS is not valid: {error}", id="adherence.E001")]
    return []
