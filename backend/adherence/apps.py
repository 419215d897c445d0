from django.apps import AppConfig


class AdherenceConfig(AppConfig):
    name = "backend.adherence"
    label = "adherence"
    verbose_name = "Treatment plans and adherence"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system check)
