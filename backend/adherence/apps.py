from django.apps import AppConfig


class AdherenceConfig(AppConfig):
    name = "backend.adherence"
    label = "adherence"
    verbose_name = "Treatment plans and adherence"

    def ready(self) -> None:
        """Refuse to start any process (web, worker, beat, command) with bad GUIDELINE_SETTINGS,
        rather than failing every plan request later."""
        from django.core.exceptions import ImproperlyConfigured

        from .guideline import deployment_guideline_settings

        try:
            deployment_guideline_settings()
        except (TypeError, ValueError) as error:
            raise ImproperlyConfigured(f"GUIDELINE_SETTINGS is not valid: {error}") from None
