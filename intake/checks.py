"""System checks (`manage.py check`): the clinic details that handouts and emergencies need."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register

CLINIC_SETTINGS = ("CLINIC_NAME", "CLINIC_PHONE", "CLINIC_ADDRESS")


@register()
def clinic_details_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    warnings = []
    if not settings.ONCALL_PHONE:
        warnings.append(
            Warning(
                "ONCALL_PHONE is not set: the emergency message cannot name the on-call number.",
                hint="Set ONCALL_PHONE in the environment (see the README's configuration).",
                id="intake.W001",
            )
        )
    missing = [name for name in CLINIC_SETTINGS if not getattr(settings, name)]
    if missing:
        warnings.append(
            Warning(
                f"{', '.join(missing)} not set: patient handouts print without them.",
                hint="Set them in the environment (see the README's configuration).",
                id="intake.W002",
            )
        )
    return warnings
