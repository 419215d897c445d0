from django.apps import AppConfig


class RefillsConfig(AppConfig):
    name = "backend.refills"
    label = "refills"
    verbose_name = "Tablet supply"
