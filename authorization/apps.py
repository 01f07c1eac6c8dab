from django.apps import AppConfig


class AuthorizationConfig(AppConfig):
    """Prior authorization: the evidence packet a payer reads, its attestation and tracking."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "authorization"
    verbose_name = "Prior authorization"
