from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run` (development only). Depends on every app; none depends on it."""

    name = "backend.demo"
    label = "demo"
    verbose_name = "Demo data"
