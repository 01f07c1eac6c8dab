from django.apps import AppConfig


class IntakeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "intake"
    verbose_name = "Patients and intakes"

    def ready(self) -> None:
        import intake.role_audit  # noqa: F401  (role changes in the audit log)
        from intake import auth_audit, session_timeout, two_factor  # noqa: F401  (sign-in receivers)
        from intake.rescreen import hooks

        hooks.register()  # impact preview and re-screen, on the criteria side's pages and jobs
