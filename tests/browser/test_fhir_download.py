"""The "FHIR response" link of the result page and of the case view downloads the intake's
QuestionnaireResponse (a file, not a page), audited; the header keeps its buttons on a phone."""

from __future__ import annotations

import json

from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from intake.models import AuditEvent
from tests.intake.review.factories import submitted_intake


def download(page, link_name: str) -> dict:
    """Follow the link with the page's cookies (what clicking it downloads)."""
    link = page.get_by_role("link", name=link_name)
    response = page.request.get(link.get_attribute("href"))
    assert response.headers["content-type"] == "application/fhir+json"
    assert response.headers["content-disposition"].startswith('attachment; filename="intake-')
    assert "no-store" in response.headers["cache-control"]
    return json.loads(response.text())


def test_front_desk_downloads_the_response_from_the_result_page(
    new_page, front_desk_user, default_set, screenshot
):
    intake = submitted_intake(outcome="candidate")
    for viewport in ("desktop", "phone"):
        page = new_page(viewport, user=front_desk_user)
        page.goto(f"/intakes/{intake.pk}/")
        screenshot(page, "result")
    resource = download(page, "FHIR response")
    QuestionnaireResponse.model_validate(resource)
    assert resource["id"] == str(intake.pk)
    event = AuditEvent.objects.filter(action="export").order_by("-id").first()
    assert (event.username, event.patient_id) == (front_desk_user.username, intake.patient_id)


def test_physician_downloads_the_response_from_the_case_view(
    new_page, physician_user, default_set, screenshot
):
    intake = submitted_intake(outcome="candidate")
    page = new_page("desktop", user=physician_user)
    page.goto(f"/review/{intake.pk}/")
    screenshot(page, "case")
    resource = download(page, "FHIR response")
    assert resource["resourceType"] == "QuestionnaireResponse"
