from django.apps import AppConfig


class CaregiversConfig(AppConfig):
    name = "backend.caregivers"
    label = "caregivers"
    verbose_name = "Caregivers"
