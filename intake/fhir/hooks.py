"""What the FHIR export adds to the criteria side (``screener.hooks``): the criteria set
admin's "Export FHIR Questionnaire" button, after "Export JSON". ``register()`` runs in
``intake.apps.IntakeConfig.ready``."""

from __future__ import annotations

from intake.fhir.admin import questionnaire_download_view
from screener.hooks import CriteriaSetPage, registry


def register() -> None:
    registry.add_page(
        CriteriaSetPage(
            "fhir_questionnaire",
            questionnaire_download_view,
            "Export FHIR Questionnaire",
            after="export",
        )
    )
