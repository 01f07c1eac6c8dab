"""The patient-reported red flags, first on every staff page (front desk and physicians)."""

from __future__ import annotations

from django.http import HttpRequest

from intake.models import AuditAction
from intake.patient_link.selectors import patient_red_flags as open_red_flags
from intake.roles import FRONT_DESK, PHYSICIAN, has_role
from intake.services import audit

SHOWN = 20


def patient_red_flags(request: HttpRequest) -> dict:
    """``patient_red_flags``: read only when a page shows it (the staff base template does; a
    fragment such as the live panel does not), once per request, audited when not empty."""
    user = getattr(request, "user", None)
    if user is None or not has_role(user, FRONT_DESK, PHYSICIAN):
        return {}
    found: list[list] = []

    def rows() -> list:
        if not found:
            found.append(list(open_red_flags()[:SHOWN]))
            if found[0]:
                audit.audit_record(
                    action=AuditAction.LIST,
                    request=request,
                    part="patient-reported red flags",
                    patients_shown=[row.patient_id for row in found[0]],
                )
        return found[0]

    return {"patient_red_flags": rows}
