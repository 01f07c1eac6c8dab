"""The criteria set admin's "Export FHIR Questionnaire" page (registered in ``hooks``)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse

from intake.fhir.questionnaire import questionnaire_export

FHIR_JSON = "application/fhir+json"


def questionnaire_download_view(model_admin: Any, request: HttpRequest, object_id: str):
    """The set as a Questionnaire file, for those who may view criteria sets (criteria admins),
    as the set's "Export JSON" page is. A condition enableWhen cannot say is in the file as the
    ``required-when`` extension."""
    criteria_set = model_admin.criteria_set_or_404(request, object_id, "view")
    export = questionnaire_export(criteria_set)
    response = HttpResponse(
        json.dumps(export.resource, indent=2, ensure_ascii=False), content_type=FHIR_JSON
    )
    name = f"{criteria_set.procedure.slug}-v{criteria_set.version}-questionnaire.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
