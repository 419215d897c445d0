from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "backend.accounts"
    label = "accounts"
    verbose_name = "Accounts and care teams"

    def ready(self) -> None:
        from . import (
            lockout,  # noqa: F401  (audits django-axes lockouts)
            signals,  # noqa: F401  (ends access when its reason goes)
        )
