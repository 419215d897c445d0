from django.apps import AppConfig


class PatientAppConfig(AppConfig):
    """The patient web app at /app/: static files, its shell, manifest and service worker."""

    name = "backend.patientapp"
    label = "patientapp"
    verbose_name = "Patient web app"
