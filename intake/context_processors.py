"""Navigation by role for the base template."""

from django.http import HttpRequest

from intake.roles import AUTHORIZATION, CRITERIA_ADMIN, FRONT_DESK, PHYSICIAN, roles_of
from intake.selectors.handouts import clinic_details


def navigation(request: HttpRequest) -> dict:
    roles = roles_of(request.user) if hasattr(request, "user") else set()
    return {
        "is_front_desk": FRONT_DESK in roles,
        "is_physician": PHYSICIAN in roles,
        "is_criteria_admin": CRITERIA_ADMIN in roles,
        "is_authorization": AUTHORIZATION in roles,
    }


def clinic(request: HttpRequest) -> dict:
    """The clinic's name and numbers (settings), for handouts, printouts and emergencies."""
    return {"clinic": clinic_details()}
