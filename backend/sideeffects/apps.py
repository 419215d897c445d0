from django.apps import AppConfig


class SideEffectsConfig(AppConfig):
    name = "backend.sideeffects"
    label = "sideeffects"
    verbose_name = "Side-effect reports"
