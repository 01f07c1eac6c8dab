"""The FHIR API (``/fhir/``) for systems that pull rather than receive files, and the download
of an intake's QuestionnaireResponse from the result page and the case view.

API (``application/fhir+json``; errors as an OperationOutcome):

- ``GET /fhir/Questionnaire/<id>``: a criteria set by its id, or by procedure slug with
  ``?version=N`` (default: the newest published version); scope ``questionnaire:read``;
- ``GET /fhir/QuestionnaireResponse/<intake id>``: the intake's answers as ``export_fhir
  response`` writes them; scope ``response:read``;
- ``POST /fhir/QuestionnaireResponse``: a draft intake prefilled from the body, as
  ``import_fhir_response`` does, for the patient named by an MRN identifier on ``subject`` or
  on the contained Patient; 201 with ``Location``; scope ``response:create``.

A client system authenticates with ``Authorization: Bearer <token>`` (``FhirClient``, made by
``manage.py fhir_client_create``). These views use no session and no CSRF token: any signed-in
user on the request is ignored (``request.user`` is anonymous inside), so a browser's cookie
opens nothing here. No token, an unknown one or an inactive client: 401 with
``WWW-Authenticate``; a scope the client lacks: 403. Every read and create is audited with no
user and the username ``fhir:<client name>``; refusals are audited too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from intake.fhir.clients import bearer_token, client_with_token, fhir_client_mark_used
from intake.fhir.exports import intake_for_export, response_export
from intake.fhir.imports import (
    NOT_FOUND,
    UNPROCESSABLE,
    FhirImportError,
    intake_import_fhir_response,
    parse_resource,
    response_patient_mrn,
)
from intake.fhir.questionnaire import questionnaire_export
from intake.models import AuditAction, AuditOutcome, FhirClient, FhirScope
from intake.permissions import role_required
from intake.roles import AUTHORIZATION, FRONT_DESK, PHYSICIAN
from intake.selectors.patients import patient_by_mrn
from intake.services.audit import audit_record
from screener import selectors as criteria_selectors
from screener.models import CriteriaSet

FHIR_JSON = "application/fhir+json"
REALM = 'Bearer realm="fhir"'
RESPONSE_PART = "fhir:QuestionnaireResponse"

# An OperationOutcome issue code for each status the API answers with.
ISSUE_CODES = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    409: "conflict",
    413: "too-costly",
}


def fhir_json(resource: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(resource, ensure_ascii=False), status=status, content_type=FHIR_JSON
    )


def operation_outcome(status: int, message: str, code: str = "") -> HttpResponse:
    """An error as FHIR says one: an OperationOutcome with one issue."""
    issue = {
        "severity": "error",
        "code": code or ISSUE_CODES.get(status, "processing"),
        "diagnostics": message,
    }
    return fhir_json({"resourceType": "OperationOutcome", "issue": [issue]}, status)


def _audit_username(client: FhirClient | None) -> str:
    return f"fhir:{client.name}" if client is not None else "fhir:(unknown token)"


def fhir_api(scope: str) -> Callable:
    """Token authentication and the scope check (see the module); the view gets the client."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_not_required
        @csrf_exempt
        @never_cache
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request.user = AnonymousUser()  # the API ignores any session
            token = bearer_token(request)
            if token is None:
                response = operation_outcome(401, "Send Authorization: Bearer <token>.")
                response["WWW-Authenticate"] = REALM
                return response
            client = client_with_token(token)
            if client is None or not client.active:
                _audit_refusal(request, client, view.__name__, "invalid or inactive token")
                response = operation_outcome(401, "The token is not valid.")
                response["WWW-Authenticate"] = f'{REALM}, error="invalid_token"'
                return response
            if scope not in client.scopes:
                _audit_refusal(request, client, view.__name__, f"scope {scope} missing")
                response = operation_outcome(403, f"This client lacks the scope {scope}.")
                response["WWW-Authenticate"] = (
                    f'{REALM}, error="insufficient_scope", scope="{scope}"'
                )
                return response
            fhir_client_mark_used(client=client)
            return view(request, client, *args, **kwargs)

        return wrapped

    return decorator


def _audit_refusal(
    request: HttpRequest, client: FhirClient | None, view_name: str, why: str
) -> None:
    action = AuditAction.CREATE if request.method == "POST" else AuditAction.VIEW
    audit_record(
        action=action,
        request=request,
        username=_audit_username(client),
        outcome=AuditOutcome.REFUSED,
        part=f"fhir:{view_name}",
        detail=why,
    )


# --------------------------------------------------------------------------------------------
# API


def _criteria_set(questionnaire_id: str, version_text: str | None) -> CriteriaSet | None:
    if questionnaire_id.isdigit():
        return (
            CriteriaSet.objects.select_related("procedure").filter(pk=int(questionnaire_id)).first()
        )
    procedure = criteria_selectors.procedure_by_slug(questionnaire_id)
    if procedure is None:
        return None
    if version_text is None:
        return criteria_selectors.newest_published_set(procedure)
    if not version_text.isdigit():
        return None
    return criteria_selectors.criteria_set_by_version(procedure, int(version_text))


@fhir_api(FhirScope.READ_QUESTIONNAIRES)
@require_GET
def questionnaire_read(request: HttpRequest, client: FhirClient, questionnaire_id: str):
    criteria_set = _criteria_set(questionnaire_id, request.GET.get("version"))
    if criteria_set is None:
        return operation_outcome(404, "No such Questionnaire (criteria set id, or slug).")
    audit_record(
        action=AuditAction.VIEW,
        request=request,
        username=_audit_username(client),
        obj=criteria_set,
        part="fhir:Questionnaire",
    )
    return fhir_json(questionnaire_export(criteria_set).resource)


@fhir_api(FhirScope.READ_RESPONSES)
@require_GET
def response_read(request: HttpRequest, client: FhirClient, intake_id: int):
    intake = intake_for_export(intake_id=intake_id)
    if intake is None:
        return operation_outcome(404, "No such QuestionnaireResponse.")
    resource = response_export(intake)
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        username=_audit_username(client),
        patient=intake.patient_id,
        obj=intake,
        part=RESPONSE_PART,
    )
    return fhir_json(resource)


@fhir_api(FhirScope.CREATE_RESPONSES)
@require_http_methods(["POST"])
def response_create(request: HttpRequest, client: FhirClient):
    try:
        body = request.body
    except RequestDataTooBig:
        return operation_outcome(413, "The resource is larger than this server accepts.")
    try:
        resource = parse_resource(body)
        mrn = response_patient_mrn(resource)
        if mrn is None:
            raise FhirImportError(
                "subject", "name the patient by an MRN identifier (or a contained Patient)"
            )
        patient = patient_by_mrn(mrn=mrn)
        if patient is None:
            raise FhirImportError("subject", "no patient has that MRN", NOT_FOUND)
        intake = intake_import_fhir_response(
            resource=resource, patient=patient, user=None, as_of=timezone.localdate()
        )
    except FhirImportError as exc:
        code = "invalid" if exc.status == UNPROCESSABLE else ""
        return operation_outcome(exc.status, str(exc), code)
    audit_record(
        action=AuditAction.CREATE,
        request=request,
        username=_audit_username(client),
        patient=patient,
        obj=intake,
        part=RESPONSE_PART,
        detail=f"imported {len(intake.answers)} answers",
    )
    created = intake_for_export(intake_id=intake.pk)
    assert created is not None
    response = fhir_json(response_export(created), 201)
    response["Location"] = request.build_absolute_uri(
        reverse("fhir:response-read", args=[intake.pk])
    )
    return response


# --------------------------------------------------------------------------------------------
# The download from the result page and the case view (signed-in staff)


@never_cache
@require_GET
@role_required(FRONT_DESK, PHYSICIAN, AUTHORIZATION)
def response_download(request: HttpRequest, intake_id: int) -> HttpResponse:
    """The intake's QuestionnaireResponse as a file (named by the intake's opaque id only)."""
    intake = intake_for_export(intake_id=intake_id)
    if intake is None:
        raise Http404("No such intake.")  # the refusal middleware records it
    resource = response_export(intake)
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        patient=intake.patient_id,
        obj=intake,
        part=RESPONSE_PART,
    )
    response = fhir_json(resource)
    name = f"intake-{intake.pk}-questionnaire-response.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
