"""Reads for the FHIR exports: the intake a response is made of, and the response itself.

Callers (the command, the download views, the API) check the role and audit the read."""

from __future__ import annotations

from intake.fhir.response import questionnaire_response
from intake.models import Intake


def intake_for_export(*, intake_id: int) -> Intake | None:
    """The intake with its patient, criteria set and procedure (None when there is none)."""
    return (
        Intake.objects.select_related("patient", "criteria_set__procedure")
        .filter(pk=intake_id)
        .first()
    )


def response_export(intake: Intake) -> dict:
    """The intake as a standalone QuestionnaireResponse: the Patient contained, each answer
    with its source and who entered it when."""
    return questionnaire_response(intake, provenance=True, contained_patient=True)
