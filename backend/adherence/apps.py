from django.apps import AppConfig


class AdherenceConfig(AppConfig):
    name = "backend.adherence"
    label = "adherence"
    verbose_name = "Treatment plans and adherence"
