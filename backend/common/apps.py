from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "backend.common"
    label = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from . import any_of_lookup, checks  # noqa: F401 (registers field__any_of, the checks)
