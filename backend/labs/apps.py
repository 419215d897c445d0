from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "backend.labs"
    label = "labs"
    verbose_name = "Lab results"
