from django.apps import AppConfig


class ScreenerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "screener"
    verbose_name = "Screening criteria"

    def ready(self) -> None:
        from screener import signals  # noqa: F401 - guards raw (fixture) saves
