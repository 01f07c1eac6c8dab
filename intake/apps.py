from django.apps import AppConfig


class IntakeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "intake"
    verbose_name = "Patients and intakes"

    def ready(self) -> None:
        from intake import session_timeout  # noqa: F401  (sign-in receiver: the session's clocks)
