"""The FHIR API at /fhir/: bearer tokens per client system (no session, no CSRF), scopes,
application/fhir+json, OperationOutcome errors, audit rows; and the staff's download of a
response from the result page and the case view."""

from __future__ import annotations

import hashlib
import json
from io import StringIO

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from intake.models import (
    AuditAction,
    AuditEvent,
    AuditOutcome,
    FhirClient,
    FhirScope,
    Intake,
    IntakeStatus,
)
from tests.criteria_data import example
from tests.factories import CriteriaAdminFactory, FrontDeskFactory, PatientFactory, PhysicianFactory
from tests.intake.fhir.conftest import BASE
from tests.intake.fhir.helpers import NOW, items_by_link_id, submitted_intake

pytestmark = pytest.mark.django_db

FHIR_JSON = "application/fhir+json"
ALL_SCOPES = ("questionnaire:read", "response:read", "response:create")


def create_client(name: str = "portal", scopes=ALL_SCOPES) -> str:
    out = StringIO()
    args = [a for scope in scopes for a in ("--scope", scope)]
    call_command("fhir_client_create", name, *args, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


@pytest.fixture
def token(db) -> str:
    return create_client()


def api(token: str | None = None, *, csrf: bool = False) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(enforce_csrf_checks=csrf, headers=headers)


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


def outcome_of(response) -> str:
    assert response["Content-Type"] == FHIR_JSON
    resource = json.loads(response.content)
    OperationOutcome.model_validate(resource)
    return resource["issue"][0]["diagnostics"]


# --------------------------------------------------------------------------------------------
# Clients


def test_client_token_is_printed_once_and_only_its_hash_is_kept(db):
    """The token is 256 random bits; the database holds its SHA-256, never the token."""
    out = StringIO()
    call_command("fhir_client_create", "ehr", "--scope", "response:read", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]

    client = FhirClient.objects.get(name="ehr")
    assert len(token) == 43  # 32 bytes, URL-safe base64
    assert client.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert client.scopes == ["response:read"]
    assert client.active
    assert token not in json.dumps(list(FhirClient.objects.values()), default=str)


def test_client_names_are_unique(db):
    create_client("ehr")
    with pytest.raises(CommandError, match="FHIR client with this Name already exists"):
        create_client("ehr")


# --------------------------------------------------------------------------------------------
# Authentication and scopes


@pytest.mark.parametrize(
    "url",
    ["/fhir/Questionnaire/vertebroplasty", "/fhir/QuestionnaireResponse/1"],
)
def test_no_token_is_401_with_www_authenticate_not_a_sign_in_redirect(default_set, url):
    response = api().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="fhir"'
    assert outcome_of(response) == "Send Authorization: Bearer <token>."


def test_a_signed_in_session_opens_nothing_without_a_token(default_set):
    """A browser's session cookie is ignored: the API needs the token."""
    intake = submitted_intake(PatientFactory(), example("ex-fever.json")["answers"])
    browser = Client()
    browser.force_login(FrontDeskFactory())
    response = browser.get(f"/fhir/QuestionnaireResponse/{intake.pk}")
    assert response.status_code == 401


def test_wrong_token_is_401_invalid_token_and_audited(default_set, token):
    response = api(token + "x").get("/fhir/Questionnaire/vertebroplasty")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="fhir", error="invalid_token"'
    assert outcome_of(response) == "The token is not valid."
    event = last_event()
    assert (event.outcome, event.username, event.user) == (
        AuditOutcome.REFUSED,
        "fhir:(unknown token)",
        None,
    )


def test_inactive_client_is_401(default_set, token):
    FhirClient.objects.update(active=False)
    response = api(token).get("/fhir/Questionnaire/vertebroplasty")
    assert response.status_code == 401
    assert last_event().username == "fhir:portal"


def test_missing_scope_is_403(default_set):
    token = create_client("reader", scopes=("questionnaire:read",))
    intake = submitted_intake(PatientFactory(), example("ex-fever.json")["answers"])

    response = api(token).get(f"/fhir/QuestionnaireResponse/{intake.pk}")

    assert response.status_code == 403
    assert response["WWW-Authenticate"] == (
        'Bearer realm="fhir", error="insufficient_scope", scope="response:read"'
    )
    assert outcome_of(response) == "This client lacks the scope response:read."
    event = last_event()
    assert (event.action, event.outcome, event.username) == (
        AuditAction.VIEW,
        AuditOutcome.REFUSED,
        "fhir:reader",
    )
    assert api(token).get("/fhir/Questionnaire/vertebroplasty").status_code == 200


def test_last_use_is_recorded(default_set, token):
    with time_machine.travel(NOW, tick=False):
        api(token).get("/fhir/Questionnaire/vertebroplasty")
    assert FhirClient.objects.get().last_used_at == NOW


# --------------------------------------------------------------------------------------------
# Reads


@pytest.mark.parametrize(
    "path", ["/fhir/Questionnaire/{pk}", "/fhir/Questionnaire/vertebroplasty?version=1"]
)
def test_questionnaire_by_id_or_slug(default_set, token, path):
    response = api(token).get(path.format(pk=default_set.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == FHIR_JSON
    resource = json.loads(response.content)
    Questionnaire.model_validate(resource)
    assert (resource["id"], resource["version"]) == (str(default_set.pk), "1")
    event = last_event()
    assert (event.action, event.username, event.user) == (AuditAction.VIEW, "fhir:portal", None)
    assert event.object_id == str(default_set.pk)


@pytest.mark.parametrize(
    "path",
    [
        "/fhir/Questionnaire/999999",
        "/fhir/Questionnaire/nope",
        "/fhir/Questionnaire/vertebroplasty?version=9",
        "/fhir/Questionnaire/vertebroplasty?version=x",
    ],
)
def test_unknown_questionnaire_is_404(default_set, token, path):
    response = api(token).get(path)
    assert response.status_code == 404
    assert outcome_of(response) == "No such Questionnaire (criteria set id, or slug)."


def test_response_read_is_the_export_and_audited(default_set, token):
    intake = submitted_intake(PatientFactory(), example("ex-cauda-equina.json")["answers"])

    response = api(token).get(f"/fhir/QuestionnaireResponse/{intake.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == FHIR_JSON
    resource = json.loads(response.content)
    QuestionnaireResponse.model_validate(resource)
    assert resource["id"] == str(intake.pk)
    assert resource["subject"] == {"reference": "#patient"}
    event = last_event()
    assert (event.action, event.username, event.patient_id) == (
        AuditAction.EXPORT,
        "fhir:portal",
        intake.patient_id,
    )
    assert api(token).get("/fhir/QuestionnaireResponse/999999").status_code == 404


# --------------------------------------------------------------------------------------------
# Create


def portal_response(mrn: str, items: list[dict]) -> dict:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{BASE}/Questionnaire/vertebroplasty|1",
        "status": "completed",
        "subject": {"identifier": {"system": f"{BASE}/sid/mrn", "value": mrn}},
        "item": items,
    }


def post(token: str, body: dict | str):
    text = body if isinstance(body, str) else json.dumps(body)
    with time_machine.travel(NOW, tick=False):
        return api(token, csrf=True).post(
            "/fhir/QuestionnaireResponse", text, content_type=FHIR_JSON
        )


def test_post_creates_a_draft_with_location_without_csrf(default_set, token):
    """A portal's response (MRN on subject) becomes a draft; 201 with Location and the
    created response; audited as a creation by the client."""
    patient = PatientFactory(mrn="MRN-9001")
    items = [
        {"linkId": "pain_nrs", "answer": [{"valueInteger": 7}]},
        {"linkId": "hospitalized", "answer": [{"valueBoolean": False}]},
    ]

    response = post(token, portal_response("MRN-9001", items))

    assert response.status_code == 201
    draft = Intake.objects.get(patient=patient)
    assert draft.status == IntakeStatus.DRAFT
    assert draft.answers == {"pain_nrs": 7, "hospitalized": False}
    assert response["Location"] == f"http://testserver/fhir/QuestionnaireResponse/{draft.pk}"
    created = json.loads(response.content)
    QuestionnaireResponse.model_validate(created)
    assert created["status"] == "in-progress"
    assert items_by_link_id(created)["pain_nrs"]["answer"][0]["valueInteger"] == 7
    event = last_event()
    assert (event.action, event.username, event.patient_id, event.object_id) == (
        AuditAction.CREATE,
        "fhir:portal",
        patient.pk,
        str(draft.pk),
    )


def test_post_round_trip_with_a_contained_patient(default_set, token):
    """An exported response posted back names its patient by the contained Patient."""
    patient = PatientFactory()
    intake = submitted_intake(patient, example("ex-three-thoracic-levels.json")["answers"])
    exported = json.loads(api(token).get(f"/fhir/QuestionnaireResponse/{intake.pk}").content)

    response = post(token, exported)

    assert response.status_code == 201
    draft = Intake.objects.get(patient=patient, status=IntakeStatus.DRAFT)
    assert draft.answers == intake.answers


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("{oops", 400, "malformed JSON"),
        ('{"resourceType": "Patient"}', 400, "resourceType: expected QuestionnaireResponse"),
        (portal_response("NOBODY", []), 404, "subject: no patient has that MRN"),
        (
            {**portal_response("MRN-1", []), "subject": {"reference": "Patient/1"}},
            422,
            "subject: name the patient by an MRN identifier",
        ),
        (
            portal_response("MRN-1", [{"linkId": "shoe_size", "answer": [{"valueInteger": 9}]}]),
            422,
            "item shoe_size: not a question of vertebroplasty v1",
        ),
        (
            portal_response("MRN-1", [{"linkId": "pain_nrs", "answer": [{"valueInteger": 12}]}]),
            422,
            "item pain_nrs: 12 is above the maximum 10",
        ),
    ],
)
def test_post_errors_are_operation_outcomes_and_create_nothing(
    default_set, token, body, status, message
):
    PatientFactory(mrn="MRN-1")
    response = post(token, body)
    assert response.status_code == status
    assert outcome_of(response).startswith(message)
    assert not Intake.objects.exists()


def test_post_needs_the_create_scope(default_set):
    token = create_client("reader", scopes=("response:read",))
    PatientFactory(mrn="MRN-1")
    response = post(token, portal_response("MRN-1", []))
    assert response.status_code == 403
    assert not Intake.objects.exists()
    assert last_event().action == AuditAction.CREATE


# --------------------------------------------------------------------------------------------
# The staff's download


def test_result_page_and_case_view_link_the_download(default_set):
    intake = submitted_intake(PatientFactory(), example("ex-fever.json")["answers"])
    link = f'href="/fhir/download/QuestionnaireResponse/{intake.pk}"'
    desk = Client()
    desk.force_login(FrontDeskFactory())
    assert link in desk.get(f"/intakes/{intake.pk}/").content.decode()
    doctor = Client()
    doctor.force_login(PhysicianFactory())
    assert link in doctor.get(f"/review/{intake.pk}/").content.decode()


def test_download_is_a_file_and_audited(default_set):
    intake = submitted_intake(PatientFactory(), example("ex-fever.json")["answers"])
    desk_user = FrontDeskFactory()
    desk = Client()
    desk.force_login(desk_user)

    response = desk.get(f"/fhir/download/QuestionnaireResponse/{intake.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == FHIR_JSON
    assert response["Content-Disposition"] == (
        f'attachment; filename="intake-{intake.pk}-questionnaire-response.json"'
    )
    QuestionnaireResponse.model_validate(json.loads(response.content))
    event = last_event()
    assert (event.action, event.user, event.patient_id) == (
        AuditAction.EXPORT,
        desk_user,
        intake.patient_id,
    )


def test_download_needs_a_role_and_sign_in(default_set):
    intake = submitted_intake(PatientFactory(), example("ex-fever.json")["answers"])
    url = f"/fhir/download/QuestionnaireResponse/{intake.pk}"
    assert Client().get(url).status_code == 302  # to sign in
    admin = Client()
    admin.force_login(CriteriaAdminFactory())
    assert admin.get(url).status_code == 403
    event = last_event()
    assert (event.outcome, event.patient_id) == (AuditOutcome.REFUSED, intake.patient_id)
    desk = Client()
    desk.force_login(FrontDeskFactory())
    assert desk.get("/fhir/download/QuestionnaireResponse/999999").status_code == 404


def test_post_for_a_patient_with_a_draft_is_409(default_set, token):
    """The patient's draft is not overwritten."""
    PatientFactory(mrn="MRN-1")
    assert post(token, portal_response("MRN-1", [])).status_code == 201
    response = post(token, portal_response("MRN-1", []))
    assert response.status_code == 409
    assert "already has a draft intake" in outcome_of(response)
    assert Intake.objects.count() == 1


def test_post_too_large_is_413(default_set, token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    PatientFactory(mrn="MRN-1")
    items = [{"linkId": "pain_nrs", "answer": [{"valueInteger": 7}]}]
    response = post(token, portal_response("MRN-1", items))
    assert response.status_code == 413
    assert not Intake.objects.exists()


def test_failed_tokens_never_lock_out_sign_in(default_set, token, settings):
    """django-axes counts sign-in failures only: wrong tokens are 401 each time, and a client
    with a valid token is served after them."""
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        assert api("wrong").get("/fhir/Questionnaire/vertebroplasty").status_code == 401
    assert not AccessAttempt.objects.exists()
    assert api(token).get("/fhir/Questionnaire/vertebroplasty").status_code == 200


def test_a_superuser_deactivates_a_client_in_admin_and_its_token_opens_nothing(client, db):
    from django.contrib.auth.models import User

    from intake.fhir.clients import fhir_client_create

    fhir_client, token = fhir_client_create(name="portal", scopes=[FhirScope.values[0]])
    admin_user = User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    client.force_login(admin_user)
    page = client.get(f"/admin/intake/fhirclient/{fhir_client.pk}/change/")
    assert page.status_code == 200
    assert "token_hash" not in page.content.decode()
    client.post(f"/admin/intake/fhirclient/{fhir_client.pk}/change/", {"active": ""}, follow=True)
    fhir_client.refresh_from_db()
    assert not fhir_client.active
    client.logout()
    refused = client.get("/fhir/Questionnaire/vertebroplasty", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refused.status_code == 401
