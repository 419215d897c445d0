from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "backend.alerts"
    label = "alerts"
    verbose_name = "Alerts for care teams"
