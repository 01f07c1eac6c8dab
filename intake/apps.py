from django.apps import AppConfig


class IntakeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "intake"
    verbose_name = "Patients and intakes"

    def ready(self) -> None:
        from intake import auth_audit, session_timeout, two_factor  # noqa: F401  (sign-in receivers)
