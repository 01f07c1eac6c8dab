"""Every page the URL resolver knows x everyone who can ask for it: the status each one gets.

The resolver is walked (included URL sets and Django admin too), so a page added later without
an entry in ``PAGE_TABLE`` (or, for a model added to Django admin, in ``ADMIN_MODELS``), or a
role added to ``intake.roles.ROLES`` without a column, fails the test naming it. Each request runs
in a transaction rolled back afterwards, so every one sees the same objects.

Who: anonymous, a signed-in user with no role, and every role. What each entry says: the
outcome of a GET and of a POST (an empty one: enough to tell "refused" from "accepted and
validated"), each an HTTP status or
  LOGIN        302 to the login page (with ``next``),
  ADMIN_LOGIN  302 to Django admin's login page (with ``next``),
  REDIRECT     302 anywhere else,
  NOT_SENT     not requested (an empty POST to a page of Django admin by a role allowed there
               is that page's own business, tested in tests/screener/).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult

from authorization import services as packet_services
from authorization.models import PhysicianNpi
from intake.exports import services as export_services
from intake.models import AuditEvent, DecisionKind, DocumentKind, FhirClient, FhirScope
from intake.roles import AUDITOR, AUTHORIZATION, CRITERIA_ADMIN, FRONT_DESK, PHYSICIAN, ROLES
from intake.selectors.queue import QueueFilters
from intake.services import documents as document_services
from intake.services import reviews
from intake.services.accounts import DEMO_ACCOUNTS, roles_ensure
from screener import services as criteria_services
from screener.models import CriteriaChange, CriteriaJob, CriteriaJobKind, CriteriaJobStatus
from tests.factories import IntakeFactory, PatientFactory, UserFactory
from tests.intake.documents.conftest import pdf_bytes
from tests.intake.review.factories import submitted_intake

LOGIN = "login"
ADMIN_LOGIN = "admin login"
REDIRECT = "redirect"
NOT_SENT = "not sent"

ANONYMOUS = "anonymous"
NO_ROLE = "no role"
WHO = (ANONYMOUS, NO_ROLE, *ROLES)

# Short names for the columns.
A, N, FD, PH, CA, AU, AZ = (
    ANONYMOUS,
    NO_ROLE,
    FRONT_DESK,
    PHYSICIAN,
    CRITERIA_ADMIN,
    AUDITOR,
    AUTHORIZATION,
)

Outcome = int | str
Row = dict[str, tuple[Outcome, Outcome]]  # who -> (GET, POST)

# ------------------------------------------------------------------------------------------
# The pages of the product (and Django admin's own pages), by URL name: (GET, POST) for each
# column, in this order. A role missing here has no column, and the test says so.

COLUMNS = (ANONYMOUS, NO_ROLE, FRONT_DESK, PHYSICIAN, CRITERIA_ADMIN, AUDITOR, AUTHORIZATION)
L, AL, R, X = LOGIN, ADMIN_LOGIN, REDIRECT, NOT_SENT

# fmt: off
PAGE_TABLE: dict[str, list[tuple[Outcome, Outcome]]] = {
    #                                      anonymous   no role     front desk  physician   crit. admin auditor     authorization
    # Each role's start page; a user without a role is told so.
    "home":                                [(L, L),     (200, 405), (R, 405),   (R, 405),   (R, 405),   (R, 405),   (R, 405)],
    "healthz":                             [(200, 405), (200, 405), (200, 405), (200, 405), (200, 405), (200, 405), (200, 405)],
    # Browsers ask for /favicon.ico: sent to the static icon, whoever asks (no patient data).
    "favicon":                             [(R, 405),   (R, 405),   (R, 405),   (R, 405),   (R, 405),   (R, 405),   (R, 405)],
    # The time-out warning's endpoints (intake/views/session.py): anyone signed in.
    "session-keep-alive":                  [(L, L),     (405, 204), (405, 204), (405, 204), (405, 204), (405, 204), (405, 204)],
    "session-status":                      [(L, L),     (200, 405), (200, 405), (200, 405), (200, 405), (200, 405), (200, 405)],
    # Accounts (config/auth_urls.py).
    "login":                               [(200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (200, 200)],
    "logout":                              [(L, L),     (405, R),   (405, R),   (405, R),   (405, R),   (405, R),   (405, R)],
    "password_change":                     [(L, L),     (200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (200, 200)],
    "password_change_done":                [(L, L),     (200, 405), (200, 405), (200, 405), (200, 405), (200, 405), (200, 405)],
    # Routed only with mail (tests/security/test_password_reset.py): open to anyone then.
    "password_reset":                      [(200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (200, 200)],
    "password_reset_done":                 [(200, 405), (200, 405), (200, 405), (200, 405), (200, 405), (200, 405), (200, 405)],
    "password_reset_confirm":              [(200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (200, 200), (200, 200)],
    "password_reset_complete":             [(200, 405), (200, 405), (200, 405), (200, 405), (200, 405), (200, 405), (200, 405)],
    # Front desk: patients and intakes. Physicians read patients, results and handouts.
    "intake:patient-list":                 [(L, L),     (403, 403), (200, R),   (200, R),   (403, 403), (403, 403), (200, R)],
    "intake:patient-create":               [(L, L),     (403, 403), (200, 200), (403, 403), (403, 403), (403, 403), (403, 403)],
    "intake:patient-detail":               [(L, L),     (403, 405), (200, 405), (200, 405), (403, 405), (403, 405), (200, 405)],
    "intake:patient-edit":                 [(L, L),     (403, 403), (200, 200), (403, 403), (403, 403), (403, 403), (403, 403)],
    "intake:intake-start":                 [(L, L),     (405, 403), (405, R),   (405, 403), (405, 403), (405, 403), (405, 403)],
    "intake:needs-info-list":              [(L, L),     (403, 405), (200, 405), (403, 405), (403, 405), (403, 405), (403, 405)],
    "intake:intake-detail":                [(L, L),     (403, 403), (200, R),   (200, 403), (403, 403), (403, 403), (200, 403)],
    "intake:intake-panel":                 [(L, L),     (405, 403), (405, 200), (405, 403), (405, 403), (405, 403), (405, 403)],
    "intake:intake-edit":                  [(L, L),     (403, 403), (200, 400), (403, 403), (403, 403), (403, 403), (403, 403)],
    "intake:emergency-action":             [(L, L),     (405, 403), (405, 400), (405, 400), (405, 403), (405, 403), (405, 403)],
    "intake:intake-handout":               [(L, L),     (403, 405), (200, 405), (200, 405), (403, 405), (403, 405), (403, 405)],
    # Physician review.
    "review:queue":                        [(L, L),     (403, 403), (403, 403), (200, R),   (403, 403), (403, 403), (403, 403)],
    # The CSV export: started by a POST (the queue's filters), written by the task worker; its
    # page and file answer the physician who asked (the world's export is the physician's).
    "review:export":                       [(L, L),     (403, 403), (403, 403), (405, R),   (403, 403), (403, 403), (403, 403)],
    "review:export-progress":              [(L, L),     (403, 403), (403, 403), (200, 405), (403, 403), (403, 403), (403, 403)],
    "review:export-again":                 [(L, L),     (403, 403), (403, 403), (405, R),   (403, 403), (403, 403), (403, 403)],
    "review:export-download":              [(L, L),     (403, 403), (403, 403), (200, 405), (403, 403), (403, 403), (403, 403)],
    "review:case":                         [(L, L),     (403, 403), (403, 403), (200, 405), (403, 403), (403, 403), (403, 403)],
    "review:take":                         [(L, L),     (403, 403), (403, 403), (405, R),   (403, 403), (403, 403), (403, 403)],
    "review:take-over":                    [(L, L),     (403, 403), (403, 403), (405, R),   (403, 403), (403, 403), (403, 403)],
    "review:assign":                       [(L, L),     (403, 403), (403, 403), (405, R),   (403, 403), (403, 403), (403, 403)],
    "review:decide":                       [(L, L),     (403, 403), (403, 403), (405, 400), (403, 403), (403, 403), (403, 403)],
    "review:amend":                        [(L, L),     (403, 403), (403, 403), (405, 400), (403, 403), (403, 403), (403, 403)],
    "review:follow-up":                    [(L, L),     (403, 403), (403, 403), (405, 400), (403, 403), (403, 403), (403, 403)],
    # The patient's own link (intake/patient_link): open without a login, answered by the token
    # (an unknown one here: 404 for everyone); making and revoking a link is the front desk's.
    "patient:start":                       [(404, 404), (404, 404), (404, 404), (404, 404), (404, 404), (404, 404), (404, 404)],
    "patient:language":                    [(405, R),   (405, R),   (405, R),   (405, R),   (405, R),   (405, R),   (405, R)],
    "patient:step":                        [(404, 404), (404, 404), (404, 404), (404, 404), (404, 404), (404, 404), (404, 404)],
    "patient:done":                        [(404, 404), (404, 404), (404, 404), (404, 404), (404, 404), (404, 404), (404, 404)],
    "patient:link-create":                 [(L, L),     (405, 403), (405, R),   (405, 403), (405, 403), (405, 403), (405, 403)],
    "patient:link-revoke":                 [(L, L),     (405, 403), (405, R),   (405, 403), (405, 403), (405, 403), (405, 403)],
    # Two-factor sign-in (intake/two_factor_urls.py): the code page sends on whoever owes no
    # code; set-up is offered to physicians and staff; the QR code exists only during set-up.
    "two_factor:verify":                   [(L, L),     (R, R),     (R, R),     (R, R),     (R, R),     (R, R),     (R, R)],
    "two_factor:setup":                    [(L, L),     (403, 403), (403, 403), (200, 200), (200, 200), (200, 200), (200, 200)],
    "two_factor:setup-qr":                 [(L, L),     (403, 405), (403, 405), (404, 405), (404, 405), (404, 405), (404, 405)],
    # Django admin's own pages: staff only; others are sent to admin's login page.
    "admin:index":                         [(AL, AL),   (AL, AL),   (AL, AL),   (AL, AL),   (200, X),   (200, X),   (AL, AL)],
    "admin:app_list":                      [(AL, AL),   (AL, AL),   (AL, AL),   (AL, AL),   (200, X),   (404, X),   (AL, AL)],
    "admin:login":                         [(200, 200), (200, 200), (200, 200), (200, 200), (R, X),     (R, X),     (200, 200)],
    "admin:logout":                        [(AL, AL),   (R, R),     (R, R),     (R, R),     (405, R),   (405, R),   (R, R)],
    "admin:password_change":               [(AL, AL),   (AL, AL),   (AL, AL),   (AL, AL),   (200, X),   (200, X),   (AL, AL)],
    "admin:password_change_done":          [(AL, AL),   (AL, AL),   (AL, AL),   (AL, AL),   (200, 405), (200, 405), (AL, AL)],
    "admin:autocomplete":                  [(AL, AL),   (AL, AL),   (AL, AL),   (AL, AL),   (403, 405), (403, 405), (AL, AL)],
    "admin:jsi18n":                        [(AL, AL),   (AL, AL),   (AL, AL),   (AL, AL),   (200, 405), (200, 405), (AL, AL)],
    "admin:view_on_site":                  [(AL, AL),   (AL, AL),   (AL, AL),   (AL, AL),   (404, 404), (404, 404), (AL, AL)],
    "admin/(?P<url>.*)$":                  [(AL, AL),   (AL, AL),   (AL, AL),   (AL, AL),   (404, 404), (404, 404), (AL, AL)],
    "admin:auth_user_password_change":     [(L, L),     (AL, AL),   (AL, AL),   (AL, AL),   (403, 403), (403, 403), (AL, AL)],
    # A criteria set's pages (screener/admin/pages.py, intake/rescreen/admin.py): criteria admins.
    "admin:screener_criteriaset_golden":   [(L, L),     (AL, AL),   (AL, AL),   (AL, AL),   (200, X),   (403, 403), (AL, AL)],
    "admin:screener_criteriaset_impact":   [(L, L),     (AL, AL),   (AL, AL),   (AL, AL),   (200, X),   (403, 403), (AL, AL)],
    "admin:screener_criteriaset_golden_from_intake": [(L, L), (AL, AL), (AL, AL), (AL, AL), (200, X), (403, 403), (AL, AL)],
    "admin:screener_criteriaset_publish":  [(L, L),     (AL, AL),   (AL, AL),   (AL, AL),   (200, X),   (403, 403), (AL, AL)],
    "admin:screener_criteriaset_clone":    [(L, L),     (AL, AL),   (AL, AL),   (AL, AL),   (200, X),   (403, 403), (AL, AL)],
    "admin:screener_criteriaset_retire":   [(L, L),     (AL, AL),   (AL, AL),   (AL, AL),   (200, X),   (403, 403), (AL, AL)],
    "admin:screener_criteriaset_rescreen": [(L, L),     (AL, AL),   (AL, AL),   (AL, AL),   (200, X),   (403, 403), (AL, AL)],
    "admin:screener_criteriaset_export":   [(L, L),     (AL, AL),   (AL, AL),   (AL, AL),   (200, X),   (403, 403), (AL, AL)],
    "admin:screener_criteriaset_fhir_questionnaire": [(L, L), (AL, AL), (AL, AL), (AL, AL), (200, X), (403, 403), (AL, AL)],
    # Resuming a stalled background job (a re-screen changes screenings): criteria admins.
    "admin:screener_criteriajob_resume":   [(L, L),     (AL, AL),   (AL, AL),   (AL, AL),   (200, X),   (403, 403), (AL, AL)],
    # A two-factor device's secret and QR code: never shown in admin (OTP_ADMIN_HIDE_SENSITIVE_DATA).
    "admin:otp_totp_totpdevice_config":    [(L, L),     (AL, AL),   (AL, AL),   (AL, AL),   (403, 403), (403, 403), (AL, AL)],
    "admin:otp_totp_totpdevice_qrcode":    [(L, L),     (AL, AL),   (AL, AL),   (AL, AL),   (403, 403), (403, 403), (AL, AL)],
    # Documents attached to an intake (intake/views/documents.py): front desk, physicians and
    # authorization coordinators; an empty POST is a form sent back (400).
    "intake:document-attach":              [(L, L),     (403, 403), (200, 400), (200, 400), (403, 403), (403, 403), (200, 400)],
    "intake:document-download":            [(L, L),     (403, 405), (200, 405), (200, 405), (403, 405), (403, 405), (200, 405)],
    "intake:document-withdraw":            [(L, L),     (403, 403), (200, 400), (200, 400), (403, 403), (403, 403), (200, 400)],
    # Prior authorization (authorization/urls.py): coordinators open, edit and track packets;
    # physicians read and attest them. An empty POST is a form sent back (400).
    "authorization:queue":                 [(L, L),     (403, 403), (403, 403), (403, 403), (403, 403), (403, 403), (200, 405)],
    "authorization:open":                  [(L, L),     (403, 403), (403, 403), (403, 403), (403, 403), (403, 403), (R, R)],
    "authorization:packet":                [(L, L),     (403, 403), (403, 403), (200, 405), (403, 403), (403, 403), (200, 405)],
    "authorization:edit":                  [(L, L),     (403, 403), (403, 403), (403, 403), (403, 403), (403, 403), (405, 400)],
    "authorization:attest":                [(L, L),     (403, 403), (403, 403), (405, 400), (403, 403), (403, 403), (403, 403)],
    "authorization:move":                  [(L, L),     (403, 403), (403, 403), (403, 403), (403, 403), (403, 403), (405, 400)],
    "authorization:revise":                [(L, L),     (403, 403), (403, 403), (403, 403), (403, 403), (403, 403), (405, 400)],
    "authorization:pdf":                   [(L, L),     (403, 403), (403, 403), (200, 405), (403, 403), (403, 403), (200, 405)],
    "authorization:bundle":                [(L, L),     (403, 403), (403, 403), (200, 405), (403, 403), (403, 403), (200, 405)],
    # The print beacon (print.js): those who may print.
    "intake:intake-printed":               [(L, L),     (405, 403), (405, 204), (405, 204), (405, 403), (405, 403), (405, 204)],
    # The FHIR API (intake/fhir/urls.py): a client system's bearer token only; a session opens
    # nothing there (401 to everyone here: tests/intake/fhir/test_api.py has the tokens). The
    # download of a response from the result page and the case view: those who read results.
    "fhir:questionnaire-read":             [(401, 401), (401, 401), (401, 401), (401, 401), (401, 401), (401, 401), (401, 401)],
    "fhir:response-read":                  [(401, 401), (401, 401), (401, 401), (401, 401), (401, 401), (401, 401), (401, 401)],
    "fhir:response-create":                [(401, 401), (401, 401), (401, 401), (401, 401), (401, 401), (401, 401), (401, 401)],
    "fhir:response-download":              [(L, L),     (403, 405), (200, 405), (200, 405), (403, 405), (403, 405), (200, 405)],
    # The audit report's CSV export (itself audited): auditors.
    "admin:intake_auditevent_export":      [(L, L),     (AL, AL),   (AL, AL),   (AL, AL),   (403, 403), (200, 405), (AL, AL)],
}
# fmt: on

# A row with too few or too many cells is reported by the first test, not cut short here.
PAGES: dict[str, Row] = {
    key: dict(zip(COLUMNS, cells, strict=False)) for key, cells in PAGE_TABLE.items()
}

# Pages that exist only when mail is configured (config/auth_urls.py).
ROUTED_WITH_MAIL = {
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}

# ------------------------------------------------------------------------------------------
# Django admin's model pages: what each staff role may do with each registered model. The
# six standard pages of a model follow from it (see ``admin_model_row``); a role not named
# may do nothing there; only staff roles reach Django admin at all.

EDIT = "edit"  # view, add, change, delete
READ = "read"  # view only

ADMIN_MODELS: dict[str, dict[str, str]] = {
    "screener.procedure": {CA: EDIT},
    "screener.criteriaset": {CA: EDIT},
    "screener.question": {CA: EDIT},
    "screener.rule": {CA: EDIT},
    "screener.goldencase": {CA: EDIT},
    # The change log and background jobs are written by services only.
    "screener.criteriachange": {CA: READ},
    "screener.criteriajob": {CA: READ},
    # Superusers only.
    "auth.user": {},
    "auth.group": {},
    "django_tasks_database.dbtaskresult": {},
    # Sign-in lockouts (a superuser deletes an attempt to lift one) and two-factor devices.
    "axes.accessattempt": {},
    "axes.accesslog": {},
    "axes.accessfailurelog": {},
    "otp_totp.totpdevice": {},
    # The audit report: auditors (and superusers), read only.
    "intake.auditevent": {AU: READ},
    # Physicians' NPIs, kept by superusers as accounts are.
    "authorization.physiciannpi": {},
    # FHIR API clients: superusers deactivate one (a client is made by a command).
    "intake.fhirclient": {},
}


# ------------------------------------------------------------------------------------------
# The objects the URLs name


@dataclass
class World:
    users: dict[str, User | None]
    ids: dict[str, Any]  # what a URL parameter or admin model names, by key
    admin_objects: dict[str, models.Model | None]


def _staff_roles() -> dict[str, bool]:
    """Whether each role's accounts are staff (Django admin), as the demo accounts make them."""
    return {role: staff for _username, role, _first, _last, staff in DEMO_ACCOUNTS}


@pytest.fixture
def world(default_set, documents_dir) -> World:
    groups = roles_ensure()
    staff = _staff_roles()
    users: dict[str, User | None] = {ANONYMOUS: None, NO_ROLE: UserFactory(username="norole")}
    for role in ROLES:
        assert role in staff, f"role {role!r} has no demo account saying whether it is staff"
        user = UserFactory(
            username=f"matrix-{role.lower().replace(' ', '-')}", is_staff=staff[role]
        )
        user.groups.add(groups[role])
        users[role] = user
    physician = users[PHYSICIAN]
    criteria_admin = users[CRITERIA_ADMIN]

    patient = PatientFactory()
    draft = IntakeFactory(patient=patient)
    submitted = submitted_intake(outcome="candidate", patient=patient)
    decided = submitted_intake(outcome="candidate", patient=patient)
    decision = reviews.review_decide(
        intake=decided,
        screening_id=decided.latest_screening_id,
        kind=DecisionKind.PROCEED,
        physician=physician,
    )
    emergency = submitted_intake(outcome="emergency", patient=patient)

    draft_set = criteria_services.criteria_set_clone(criteria_set=default_set, user=criteria_admin)
    job = criteria_services.criteria_job_create(
        kind=CriteriaJobKind.IMPACT, criteria_set=draft_set, limit=10, user=criteria_admin
    )
    # Its worker died an hour ago (no heartbeat since): the job has stalled and can be resumed.
    an_hour_before = job.created_at - datetime.timedelta(hours=1)
    CriteriaJob.objects.filter(pk=job.pk).update(
        status=CriteriaJobStatus.RUNNING, started_at=an_hour_before, heartbeat_at=an_hour_before
    )
    # A complete queue export of the physician's, with its file.
    export = export_services.queue_export_create(user=physician, filters=QueueFilters())
    export_services.queue_export_start(export_id=export.pk)
    export_services.queue_export_finish(
        export_id=export.pk, content=io.BytesIO(b"Intake\r\n"), written=0
    )
    # A document attached to the submitted intake (the URLs' intake), in a private directory.
    document = document_services.intake_document_attach(
        intake_id=submitted.pk,
        file=SimpleUploadedFile("report.pdf", pdf_bytes()),
        kind=DocumentKind.MRI,
        document_date=datetime.date(2025, 3, 1),
        user=users[FRONT_DESK],
        today=datetime.date(2025, 3, 14),
    )
    # The decided intake's packet (a draft), opened by the coordinator.
    packet = packet_services.packet_open(
        intake=decided,
        user=users[AUTHORIZATION],
        payer="Medicare Part B",
        member_id="1EG4",
        place_of_service="22",
        now=decided.submitted_at,
    )
    npi = PhysicianNpi.objects.create(user=physician, npi="1234567893")
    sign_in = {"user_agent": "test", "http_accept": "*/*", "path_info": "/accounts/login/"}
    device = TOTPDevice.objects.create(user=UserFactory(username="device-owner"), name="phone")
    admin_objects: dict[str, models.Model | None] = {
        "screener.criteriaset": draft_set,
        "screener.procedure": default_set.procedure,
        "screener.rule": draft_set.rule_set.order_by("pk").first(),
        "screener.question": draft_set.question_set.order_by("pk").first(),
        "screener.goldencase": draft_set.goldencase_set.order_by("pk").first(),
        "screener.criteriachange": CriteriaChange.objects.filter(criteria_set=draft_set).first(),
        "screener.criteriajob": job,
        "auth.user": users[NO_ROLE],
        "auth.group": Group.objects.get(name=FRONT_DESK),
        "django_tasks_database.dbtaskresult": DBTaskResult.objects.create(
            task_path="screener.tasks.rescreen_task",
            args_kwargs={"args": [job.pk], "kwargs": {}},
            backend_name="default",
            enqueued_at=job.created_at,
            run_after=job.created_at,
            exception_class_path="",
            traceback="",
        ),
        "axes.accessattempt": AccessAttempt.objects.create(
            **sign_in, username="someone", get_data="", post_data="", failures_since_start=1
        ),
        "axes.accesslog": AccessLog.objects.create(**sign_in, username="someone"),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**sign_in, username="someone"),
        "otp_totp.totpdevice": device,
        "authorization.physiciannpi": npi,
        "intake.fhirclient": FhirClient.objects.create(
            name="matrix-client", token_hash="0" * 64, scopes=[FhirScope.values[0]]
        ),
        # The role changes above are in the audit log.
        "intake.auditevent": AuditEvent.objects.order_by("pk").first(),
    }
    ids = {
        "patient": patient.pk,
        "draft": draft.pk,
        "submitted": submitted.pk,
        "decided": decided.pk,
        "decision": decision.pk,
        "emergency": emergency.pk,
        "published_set": default_set.pk,
        "draft_set": draft_set.pk,
        "content_type": ContentType.objects.get_for_model(draft_set).pk,
        "user": users[NO_ROLE].pk,
        "job": job.pk,
        "totp_device": device.pk,
        "export": export.pk,
        "document": document.pk,
        "packet": packet.pk,
    }
    return World(users=users, ids=ids, admin_objects=admin_objects)


# ------------------------------------------------------------------------------------------
# Walking the resolver


@dataclass(frozen=True)
class Page:
    key: str  # the URL name, or the route when it has none
    route: str
    params: tuple[str, ...]


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Page]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield Page(
                key=namespace + pattern.name if pattern.name else route,
                route=route,
                params=tuple(pattern.pattern.regex.groupindex),
            )


def resolver_pages() -> list[Page]:
    return list(_walk(get_resolver().url_patterns))


ADMIN_MODEL_PAGES = ("changelist", "add", "history", "delete", "change", "object")


def admin_model_pages() -> dict[str, tuple[str, str]]:
    """Page key -> (model label, which standard page) for every model in Django admin."""
    pages = {}
    for model in admin.site._registry:
        opts = model._meta
        label = f"{opts.app_label}.{opts.model_name}"
        for kind in ADMIN_MODEL_PAGES[:-1]:
            pages[f"admin:{opts.app_label}_{opts.model_name}_{kind}"] = (label, kind)
        # The bare object address redirects to its change page (it has no name).
        pages[f"admin/{opts.app_label}/{opts.model_name}/<path:object_id>/"] = (label, "object")
    return pages


# ------------------------------------------------------------------------------------------
# Addresses: each URL parameter names an object of the world (by key), for every page unless
# the page names another one; pages without a name have a fixed address.

PARAMETERS = {
    "patient_id": "patient",
    "intake_id": "submitted",
    "decision_id": "decision",
    "object_id": "draft_set",
    "content_type_id": "content_type",
    "app_label": "app_label",
    "uidb64": "uidb64",
    "token": "token",
    "export_id": "export",
    "document_id": "document",
    "packet_id": "packet",
    "to_status": "submitted_status",
    "number": "step_number",
}
PAGE_PARAMETERS: dict[str, dict[str, str]] = {
    "intake:intake-panel": {"intake_id": "draft"},
    "intake:emergency-action": {"intake_id": "emergency"},
    "intake:intake-handout": {"intake_id": "decided"},
    "authorization:open": {"intake_id": "decided"},
    "fhir:questionnaire-read": {"questionnaire_id": "draft_set"},
    "review:amend": {"intake_id": "decided"},
    "review:follow-up": {"intake_id": "decided"},
    "admin:screener_criteriaset_clone": {"object_id": "published_set"},
    "admin:screener_criteriaset_retire": {"object_id": "published_set"},
    "admin:screener_criteriaset_rescreen": {"object_id": "published_set"},
    "admin:auth_user_password_change": {"id": "user"},
    "admin:screener_criteriajob_resume": {"object_id": "job"},
    "admin:otp_totp_totpdevice_config": {"pk": "totp_device"},
    "admin:otp_totp_totpdevice_qrcode": {"pk": "totp_device"},
}
ADDRESSES = {"admin/(?P<url>.*)$": "/admin/no-such-page/"}
FIXED_IDS = {
    "app_label": "screener",
    "uidb64": "MQ",
    "token": "no-such-token",
    "submitted_status": "submitted",
    "step_number": 1,
}


def page_url(page: Page, world: World) -> str:
    """The page's address with real ids; an AssertionError says what is missing."""
    if page.key in ADDRESSES:
        return ADDRESSES[page.key]
    model_page = admin_model_pages().get(page.key)
    if model_page is not None:
        obj = world.admin_objects.get(model_page[0])
        assert obj is not None, f"the world has no {model_page[0]} for {page.key}: add one"
        object_id = str(obj.pk)
        if model_page[1] == "object":
            return "/" + page.route.replace("<path:object_id>", object_id)
        kwargs = {"object_id": object_id} if "object_id" in page.params else {}
        return reverse(page.key, kwargs=kwargs)
    assert ":" in page.key or page.key.isidentifier() or "-" in page.key, (
        f"{page.route} has no URL name: name it, or give it an address in ADDRESSES"
    )
    kwargs = {}
    for param in page.params:
        key = PAGE_PARAMETERS.get(page.key, {}).get(param) or PARAMETERS.get(param)
        assert key is not None, f"{page.key}: no object for the parameter {param!r}"
        kwargs[param] = FIXED_IDS.get(key, world.ids.get(key))
        assert kwargs[param] is not None, f"{page.key}: the world has no {key!r}"
    return reverse(page.key, kwargs=kwargs)


# ------------------------------------------------------------------------------------------
# Expected rows and requests


def staff_roles() -> set[str]:
    return {role for role, staff in _staff_roles().items() if staff}


def admin_model_row(label: str, kind: str) -> Row:
    """A ModelAdmin's standard page: non-staff are sent to admin's login; staff get what their
    permission on the model allows (an empty POST is not sent where they are allowed)."""
    access = ADMIN_MODELS.get(label, {})
    row: Row = {}
    for who in WHO:
        if who == ANONYMOUS:  # a model's pages need a login before admin's own check
            row[who] = (LOGIN, LOGIN)
            continue
        if who not in staff_roles():
            row[who] = (ADMIN_LOGIN, ADMIN_LOGIN)
            continue
        level = access.get(who)
        if kind == "object":  # the bare object address only redirects to the change page
            row[who] = (REDIRECT, REDIRECT)
        elif level is None or (level == READ and kind in ("add", "delete")):
            row[who] = (403, 403)
        else:
            row[who] = (200, NOT_SENT)
    return row


def expected_row(page: Page) -> Row | None:
    model_page = admin_model_pages().get(page.key)
    if model_page is not None:
        return admin_model_row(*model_page) if model_page[0] in ADMIN_MODELS else None
    return PAGES.get(page.key)


def outcome(response) -> Outcome:
    if response.status_code == 302:
        target = response["Location"]
        if target.startswith(reverse("login") + "?next="):
            return LOGIN
        if target.startswith(reverse("admin:login") + "?next="):
            return ADMIN_LOGIN
        return REDIRECT
    return response.status_code


def request_as(user: User | None, method: str, url: str) -> Outcome:
    """One request by ``user`` (None: anonymous), rolled back afterwards."""
    with transaction.atomic():
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        response = client.get(url) if method == "GET" else client.post(url)
        transaction.set_rollback(True)
    return outcome(response)


def distinct_pages() -> list[Page]:
    seen: dict[str, Page] = {}
    for page in resolver_pages():
        seen.setdefault(page.key, page)
    return list(seen.values())


# ------------------------------------------------------------------------------------------
# The tests


def test_every_page_and_every_role_has_an_expected_status():
    """A new page, a new model in Django admin or a new role without expectations fails here,
    and so does an entry for a page that no longer exists."""
    pages = distinct_pages()
    keys = {page.key for page in pages}
    model_pages = admin_model_pages()
    models_in_admin = {label for label, _kind in model_pages.values()}
    problems = [
        f"page {page.route!r} ({page.key}): no row in PAGE_TABLE"
        for page in pages
        if page.key not in model_pages and page.key not in PAGES
    ]
    problems += [
        f"model {label} is in Django admin but not in ADMIN_MODELS"
        for label in sorted(models_in_admin - set(ADMIN_MODELS))
    ]
    unrouted = set() if settings.PASSWORD_RESET_BY_EMAIL else ROUTED_WITH_MAIL
    problems += [
        f"PAGE_TABLE has {key!r}, which the resolver does not know"
        for key in PAGES
        if key not in keys and key not in unrouted
    ]
    problems += [
        f"ADMIN_MODELS has {label}, which is not in Django admin"
        for label in sorted(set(ADMIN_MODELS) - models_in_admin)
    ]
    problems += [
        f"PAGE_TABLE[{key!r}] has {len(cells)} cells for {len(COLUMNS)} columns"
        for key, cells in PAGE_TABLE.items()
        if len(cells) != len(COLUMNS)
    ]
    problems += [
        f"no column for {who!r}: add it to COLUMNS and a cell to every row of PAGE_TABLE"
        for who in WHO
        if who not in COLUMNS
    ]
    problems += [
        f"COLUMNS has {who!r}, who is not anonymous, no role or a role"
        for who in COLUMNS
        if who not in WHO
    ]
    problems += [
        f"ADMIN_MODELS[{label!r}] names {who!r}, not a staff role"
        for label, access in ADMIN_MODELS.items()
        for who in access
        if who not in staff_roles()
    ]
    assert problems == [], "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_every_page_answers_each_role_as_expected(world, who):
    user = world.users[who]
    mismatches = []
    for page in distinct_pages():
        row = expected_row(page)
        if row is None or who not in row:
            mismatches.append(f"{page.key}: no expectation for {who!r}")
            continue
        url = page_url(page, world)
        for method, expected in zip(("GET", "POST"), row[who], strict=True):
            if expected == NOT_SENT:
                continue
            got = request_as(user, method, url)
            if got != expected:
                mismatches.append(f"{method} {url} ({page.key}): expected {expected}, got {got}")
    assert mismatches == [], f"{who}:\n" + "\n".join(mismatches)
