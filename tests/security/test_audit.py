"""Every page that reads or changes a patient's record writes one audit row saying who (user,
role, address), what (action, part, old and new values), about whom (the patient, or the
patients a list showed) and when; refused requests are recorded as refused; role changes are
recorded; the audit report in admin is for auditors and superusers, read only, and looking at
it is audited too; ``manage.py verify_audit`` finds a changed or deleted row."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from intake.models import AuditEvent, Decision, DecisionKind, Patient
from intake.roles import AUDITOR, PHYSICIAN
from intake.selectors import audit as audit_selectors
from intake.selectors import pagination
from intake.services import reviews
from intake.services.accounts import roles_ensure
from intake.services.audit import audit_record
from intake.views import exports as export_views
from tests.factories import (
    FrontDeskFactory,
    IntakeFactory,
    PatientFactory,
    PhysicianFactory,
    UserFactory,
)
from tests.intake.frontdesk_helpers import form_data
from tests.intake.review.exports import download, export_start, file_rows
from tests.intake.review.factories import submitted_intake

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _roles():
    roles_ensure()


@pytest.fixture
def desk():
    return FrontDeskFactory(username="desk")


@pytest.fixture
def doc():
    return PhysicianFactory(username="doc")


@pytest.fixture
def auditor():
    return UserFactory(username="audrey", role=AUDITOR, is_staff=True)


def signed_in(client: Client, user) -> Client:
    client.force_login(user)
    return client


def page_events() -> list[AuditEvent]:
    """The rows pages wrote (sign-ins and the factories' role changes left out)."""
    return list(
        AuditEvent.objects.exclude(action__in=("role_change", "login", "logout")).order_by("id")
    )


def only_event() -> AuditEvent:
    events = page_events()
    assert len(events) == 1, [(e.action, e.part) for e in events]
    return events[0]


def summary(event: AuditEvent) -> tuple:
    return (
        event.action,
        event.outcome,
        event.username,
        event.role,
        event.patient_id,
        event.object_type,
        event.object_id,
        event.part,
    )


# ------------------------------------------------------------------------------------------
# Front desk pages


def test_the_patient_list_records_the_patients_on_the_page(client, desk):
    patients = PatientFactory.create_batch(3)
    assert signed_in(client, desk).get("/patients/").status_code == 200
    event = only_event()
    assert summary(event) == ("list", "ok", "desk", "Front desk", None, "", "", "patient list")
    assert event.patients_shown == sorted(p.pk for p in patients)
    assert (event.user, event.at, event.source_address, event.detail) == (
        desk,
        NOW,
        "127.0.0.1",
        "page 1",
    )


def test_the_patient_page_records_a_view(client, desk):
    patient = PatientFactory()
    signed_in(client, desk).get(f"/patients/{patient.pk}/")
    assert summary(only_event()) == (
        "view",
        "ok",
        "desk",
        "Front desk",
        patient.pk,
        "intake.patient",
        str(patient.pk),
        "patient page",
    )


PATIENT_POST = {
    "mrn": "a-100",
    "first_name": "Maria",
    "last_name": "Lopez",
    "date_of_birth": "1950-02-03",
    "sex": "female",
    "phone": "",
    "insurance_payer": "",
    "insurance_member_id": "",
    "referring_physician": "",
}


def test_registering_records_each_field_given(client, desk):
    response = signed_in(client, desk).post("/patients/new/", PATIENT_POST)
    assert response.status_code == 302
    patient = Patient.objects.get()
    event = only_event()
    assert summary(event) == (
        "create",
        "ok",
        "desk",
        "Front desk",
        patient.pk,
        "intake.patient",
        str(patient.pk),
        "details",
    )
    assert event.changes == {
        "mrn": [None, "A-100"],
        "first_name": [None, "Maria"],
        "last_name": [None, "Lopez"],
        "date_of_birth": [None, "1950-02-03"],
        "sex": [None, "female"],
    }


def test_a_refused_duplicate_records_the_patients_the_page_showed(client, desk):
    owner = PatientFactory(mrn="A-100")
    response = signed_in(client, desk).post("/patients/new/", PATIENT_POST)
    assert response.status_code == 200
    event = only_event()
    assert (event.action, event.outcome, event.patient_id, event.patients_shown) == (
        "create",
        "failed",
        None,
        [owner.pk],
    )


def test_editing_records_old_and_new_name_and_date_of_birth(client, desk):
    patient = PatientFactory(
        mrn="A-100", first_name="Maria", last_name="Lopez", date_of_birth=datetime.date(1950, 2, 3)
    )
    post = PATIENT_POST | {"last_name": "Lopez-Garcia", "date_of_birth": "1950-03-02"}
    response = signed_in(client, desk).post(f"/patients/{patient.pk}/edit/", post)
    assert response.status_code == 302
    event = only_event()
    assert summary(event) == (
        "change",
        "ok",
        "desk",
        "Front desk",
        patient.pk,
        "intake.patient",
        str(patient.pk),
        "details",
    )
    assert event.changes == {
        "date_of_birth": ["1950-02-03", "1950-03-02"],
        "last_name": ["Lopez", "Lopez-Garcia"],
    }


def test_opening_the_edit_form_records_a_view(client, desk):
    patient = PatientFactory()
    signed_in(client, desk).get(f"/patients/{patient.pk}/edit/")
    event = only_event()
    assert (event.action, event.patient_id, event.part, event.detail) == (
        "view",
        patient.pk,
        "details",
        "edit form",
    )


def test_the_intake_form_records_a_view(client, desk, default_set):
    intake = IntakeFactory()
    assert signed_in(client, desk).get(f"/intakes/{intake.pk}/").status_code == 200
    assert summary(only_event()) == (
        "view",
        "ok",
        "desk",
        "Front desk",
        intake.patient_id,
        "intake.intake",
        str(intake.pk),
        "intake form",
    )


def test_a_draft_save_records_the_answers_that_changed(client, desk, default_set):
    intake = IntakeFactory(answers={"hospitalized": True, "pain_nrs": 6})
    response = signed_in(client, desk).post(
        f"/intakes/{intake.pk}/",
        form_data({"hospitalized": True, "pain_nrs": 8, "mri_done": False}, version=1),
    )
    assert response.status_code == 302
    event = only_event()
    assert summary(event) == (
        "change",
        "ok",
        "desk",
        "Front desk",
        intake.patient_id,
        "intake.intake",
        str(intake.pk),
        "answers",
    )
    assert event.changes == {"mri_done": [None, False], "pain_nrs": [6, 8]}
    assert event.detail == ""


def test_a_stale_draft_save_records_that_nothing_was_saved(client, desk, default_set):
    intake = IntakeFactory(answers={"hospitalized": True}, version=3)
    response = signed_in(client, desk).post(
        f"/intakes/{intake.pk}/", form_data({"hospitalized": False}, version=2)
    )
    assert response.status_code == 409
    event = only_event()
    assert (event.action, event.outcome, event.part, event.changes, event.detail) == (
        "change",
        "failed",
        "answers",
        {},
        "nothing saved",
    )


def test_submitting_records_the_answers_and_the_new_status(client, desk, default_set):
    intake = IntakeFactory(answers={"hospitalized": True})
    response = signed_in(client, desk).post(
        f"/intakes/{intake.pk}/",
        form_data({"hospitalized": True, "pain_nrs": 9}, version=1, action="submit"),
    )
    assert response.status_code == 302
    event = only_event()
    assert (event.action, event.part, event.changes, event.detail) == (
        "change",
        "answers",
        {"pain_nrs": [None, 9]},
        "status draft -> submitted",
    )


def test_editing_a_submitted_intake_records_the_answers(client, desk, default_set):
    intake = submitted_intake(outcome="candidate")
    before = intake.answers["pain_nrs"]
    response = signed_in(client, desk).post(
        f"/intakes/{intake.pk}/edit/",
        form_data(
            intake.answers | {"pain_nrs": 5},
            version=intake.version,
            _reason="Patient corrected the pain score.",
        ),
    )
    assert response.status_code == 302
    event = only_event()
    assert (event.action, event.patient_id, event.part, event.changes) == (
        "change",
        intake.patient_id,
        "answers",
        {"pain_nrs": [before, 5]},
    )


def test_the_result_page_records_a_view_and_its_print_button_carries_the_beacon(
    client, desk, default_set
):
    intake = submitted_intake(outcome="candidate")
    response = signed_in(client, desk).get(f"/intakes/{intake.pk}/")
    event = only_event()
    assert (event.action, event.patient_id, event.object_id, event.part) == (
        "view",
        intake.patient_id,
        str(intake.pk),
        "result",
    )
    button = re.search(r"<button[^>]*data-print [^>]*>Print summary</button>", response.text)
    assert f'data-print-audit="/intakes/{intake.pk}/printed/"' in button[0]
    assert 'data-print-page="result"' in button[0]


def test_the_print_beacon_records_a_print_with_the_pages_csrf_token(desk, doc, default_set):
    """As print.js sends it: a POST with the token the page carries (the cookie is HttpOnly)."""
    intake = submitted_intake(outcome="candidate")
    for user, page_url, page in (
        (desk, f"/intakes/{intake.pk}/", "result"),
        (doc, f"/review/{intake.pk}/", "case"),
    ):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(user)
        html = browser.get(page_url).text
        token = re.search(r'data-print-page="' + page + r'" data-csrf-token="([^"]+)"', html)[1]
        url = f"/intakes/{intake.pk}/printed/"
        assert browser.post(url, {"page": page}).status_code == 403  # no token: refused
        response = browser.post(url, {"page": page}, HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 204
    prints = AuditEvent.objects.filter(action="print").order_by("id")
    assert [(e.username, e.outcome, e.patient_id, e.object_id, e.part) for e in prints] == [
        ("desk", "refused", intake.patient_id, str(intake.pk), "intake-printed"),
        ("desk", "ok", intake.patient_id, str(intake.pk), "result page printout"),
        ("doc", "refused", intake.patient_id, str(intake.pk), "intake-printed"),
        ("doc", "ok", intake.patient_id, str(intake.pk), "case view printout"),
    ]


def test_the_live_panel_is_not_audited(client, desk, default_set):
    """It evaluates unsaved answers on every change; the form's view and the saves are."""
    intake = IntakeFactory()
    response = signed_in(client, desk).post(
        f"/intakes/{intake.pk}/panel/", form_data({"pain_nrs": 7}, version=1)
    )
    assert response.status_code == 200
    assert page_events() == []


def test_the_needs_information_list_records_the_patients_shown(client, desk, default_set):
    shown = [submitted_intake(outcome="needs_info") for _ in range(2)]
    submitted_intake(outcome="candidate")  # not on the list
    signed_in(client, desk).get("/intakes/needs-information/")
    event = only_event()
    assert (event.action, event.part) == ("list", "needs-information list")
    assert event.patients_shown == sorted(i.patient_id for i in shown)


def test_the_handout_is_a_print(client, doc, default_set):
    intake = submitted_intake(outcome="candidate")
    reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.PROCEED,
        physician=doc,
    )
    first = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    assert signed_in(client, doc).get(f"/intakes/{intake.pk}/handout/").status_code == 200
    event = AuditEvent.objects.get(id__gt=first, action="print")
    assert (event.username, event.patient_id, event.part) == (
        "doc",
        intake.patient_id,
        "patient handout",
    )


# ------------------------------------------------------------------------------------------
# Physician pages


def test_the_queue_records_the_patients_on_the_page(client, doc, default_set):
    intakes = [submitted_intake(outcome="candidate") for _ in range(3)]
    signed_in(client, doc).get("/review/")
    event = only_event()
    assert summary(event) == ("list", "ok", "doc", "Physician", None, "", "", "review queue")
    assert event.patients_shown == sorted(i.patient_id for i in intakes)


def test_the_case_view_records_a_view(client, doc, default_set):
    intake = submitted_intake(outcome="candidate")
    signed_in(client, doc).get(f"/review/{intake.pk}/")
    assert summary(only_event()) == (
        "view",
        "ok",
        "doc",
        "Physician",
        intake.patient_id,
        "intake.intake",
        str(intake.pk),
        "case view",
    )


def test_deciding_and_amending_record_the_decision(client, doc, default_set):
    intake = submitted_intake(outcome="candidate")
    signed_in(client, doc).post(
        f"/review/{intake.pk}/decide/",
        {
            "kind": "proceed",
            "planned_procedure_date": "2025-03-31",
            "screening": intake.latest_screening_id,
        },
    )
    decision = Decision.objects.get()
    client.post(
        f"/review/{intake.pk}/decisions/{decision.pk}/amend/",
        {
            "amend-kind": "conservative",
            "amend-reason": "Pain improving on rest.",
            "amend-screening": intake.latest_screening_id,
        },
    )
    amendment = Decision.objects.get(supersedes=decision)
    decided = AuditEvent.objects.filter(action="decide").order_by("id")
    assert [
        (e.username, e.patient_id, e.object_type, e.object_id, e.part, e.changes, e.detail)
        for e in decided
    ] == [
        (
            "doc",
            intake.patient_id,
            "intake.decision",
            str(decision.pk),
            "decision",
            {"kind": [None, "proceed"], "planned_procedure_date": [None, "2025-03-31"]},
            "",
        ),
        (
            "doc",
            intake.patient_id,
            "intake.decision",
            str(amendment.pk),
            "decision",
            {
                "kind": ["proceed", "conservative"],
                "planned_procedure_date": ["2025-03-31", None],
            },
            f"amends decision {decision.pk}",
        ),
    ]


def test_taking_and_assigning_record_who_had_the_case_and_who_has_it(client, doc, default_set):
    other = PhysicianFactory(username="other")
    intake = submitted_intake(outcome="candidate")
    signed_in(client, doc).post(f"/review/{intake.pk}/take/")
    client.post(
        f"/review/{intake.pk}/assign/", {"assignee": str(other.pk), "expected_assignee": doc.pk}
    )
    client.post(f"/review/{intake.pk}/take/")  # the other has it now: refused
    events = AuditEvent.objects.filter(part="assignment").order_by("id")
    assert [(e.action, e.outcome, e.patient_id, e.changes) for e in events] == [
        ("change", "ok", intake.patient_id, {"assigned_to": [None, "doc"]}),
        ("change", "ok", intake.patient_id, {"assigned_to": ["doc", "other"]}),
        ("change", "failed", intake.patient_id, {}),
    ]


def test_moving_the_planned_date_records_old_and_new(client, doc, default_set):
    intake = submitted_intake(outcome="candidate")
    decision = reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.PROCEED,
        physician=doc,
        planned_procedure_date=datetime.date(2025, 3, 31),
    )
    url = f"/review/{intake.pk}/follow-up/"
    signed_in(client, doc).post(url, {"planned_procedure_date": "2025-04-10"})
    events = AuditEvent.objects.filter(part="planned date").order_by("id")
    assert [(e.action, e.object_id, e.patient_id, e.changes) for e in events] == [
        (
            "change",
            str(decision.pk),
            intake.patient_id,
            {"planned_procedure_date": ["2025-03-31", "2025-04-10"]},
        ),
    ]


def test_recording_an_emergency_action_is_audited(client, desk, default_set):
    intake = submitted_intake(outcome="emergency")
    response = signed_in(client, desk).post(
        f"/intakes/{intake.pk}/emergency-action/",
        {
            "emergency-contacted": "oncall",
            "emergency-contact_name": "Dr On Call",
            "emergency-contacted_at": "2025-03-20T08:55",
            "emergency-note": "Sent to the emergency department.",
            "emergency-next": "result",
        },
    )
    assert response.status_code == 302
    event = only_event()
    assert (event.action, event.patient_id, event.object_type, event.part, event.changes) == (
        "change",
        intake.patient_id,
        "intake.emergencyaction",
        "emergency action",
        {"contacted": [None, "oncall"]},
    )


def test_the_csv_export_is_recorded_once_after_the_last_row(client, doc, default_set):
    """Writing the file shows no patient to anyone: the download is what is recorded, once,
    with the patients of the rows sent, naming the export."""
    intakes = [submitted_intake(outcome="candidate") for _ in range(3)]
    export = export_start(signed_in(client, doc))
    response = download(client, export)
    assert AuditEvent.objects.filter(action="export").count() == 0  # nothing sent yet
    rows = file_rows(response)
    assert len(rows) == 6  # header, 3 rows, empty line, completeness line
    event = only_event()
    assert summary(event) == (
        "export",
        "ok",
        "doc",
        "Physician",
        None,
        "intake.queueexport",
        str(export.pk),
        "review queue CSV",
    )
    assert (event.patients_shown, event.detail) == (
        sorted(i.patient_id for i in intakes),
        "3 rows",
    )


def test_an_export_stopped_early_records_what_was_sent(client, rf, doc, default_set, monkeypatch):
    monkeypatch.setattr(export_views, "BLOCK_BYTES", 1)  # a write per line
    intakes = [submitted_intake(outcome="candidate") for _ in range(3)]
    export = export_start(signed_in(client, doc))
    request = rf.get(f"/review/exports/{export.pk}/download/", REMOTE_ADDR="127.0.0.1")
    request.user, request.session = doc, {}
    response = export_views.export_download(request, export_id=export.pk)
    content = response.streaming_content
    next(content)  # the header
    first = next(content).decode()
    # The browser went away: the server closes the response (the signal that would close the
    # test's database connection is held back, as the test client does).
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    event = only_event()
    sent = next(i for i in intakes if first.startswith(f"{i.pk},"))
    assert (event.action, event.outcome, event.patients_shown, event.detail) == (
        "export",
        "failed",
        [sent.patient_id],
        "1 rows, stopped before the end",
    )


def test_a_large_export_is_recorded_in_parts_of_patients(client, doc, default_set, monkeypatch):
    """A download of many patients is recorded as several events (parts of one download), each
    naming the export, together naming every patient once: no event holds 100,000 ids."""
    monkeypatch.setattr(export_views, "AUDIT_PATIENTS_PER_EVENT", 2)
    intakes = [submitted_intake(outcome="candidate") for _ in range(5)]
    export = export_start(signed_in(client, doc))
    file_rows(download(client, export))
    events = page_events()
    assert [(e.action, e.object_id, e.detail) for e in events] == [
        ("export", str(export.pk), f"5 rows, patients part {n} of 3") for n in (1, 2, 3)
    ]
    assert [pid for e in events for pid in e.patients_shown] == sorted(
        i.patient_id for i in intakes
    )


# ------------------------------------------------------------------------------------------
# Refused requests


def test_refused_requests_on_a_patients_record_are_recorded(client, desk, doc, default_set):
    intake = submitted_intake(outcome="candidate")
    draft = IntakeFactory()
    assert signed_in(client, desk).get(f"/review/{intake.pk}/").status_code == 403
    assert client.get("/patients/999999/").status_code == 404
    signed_in(client, doc)
    assert client.post(f"/intakes/{draft.pk}/", form_data({}, version=1)).status_code == 403
    assert client.get(f"/review/{draft.pk}/").status_code == 404  # a draft is not in review
    rows = [
        (e.username, e.action, e.outcome, e.patient_id, e.object_type, e.object_id, e.detail)
        for e in page_events()
    ]
    assert rows == [
        ("desk", "view", "refused", intake.patient_id, "intake.intake", str(intake.pk), "HTTP 403"),
        ("desk", "view", "refused", None, "intake.patient", "999999", "HTTP 404"),
        ("doc", "change", "refused", draft.patient_id, "intake.intake", str(draft.pk), "HTTP 403"),
        ("doc", "view", "refused", draft.patient_id, "intake.intake", str(draft.pk), "HTTP 404"),
    ]


def test_an_auditor_opens_no_patient_page(client, auditor, default_set):
    patient = PatientFactory()
    intake = submitted_intake(outcome="candidate", patient=patient)
    signed_in(client, auditor)
    for url in ("/patients/", f"/patients/{patient.pk}/", f"/intakes/{intake.pk}/", "/review/"):
        assert client.get(url).status_code == 403, url
    assert [(e.action, e.outcome, e.patient_id) for e in page_events()] == [
        ("view", "refused", patient.pk),
        ("view", "refused", patient.pk),
    ]


# ------------------------------------------------------------------------------------------
# Role changes


def test_role_changes_outside_a_request_are_recorded_without_a_user():
    user = UserFactory(username="newdoc")
    physicians = Group.objects.get(name=PHYSICIAN)
    user.groups.add(physicians)
    physicians.user_set.remove(user)
    rows = [
        (e.action, e.user_id, e.object_type, e.object_id, e.changes, e.detail)
        for e in AuditEvent.objects.filter(object_id=str(user.pk)).order_by("id")
    ]
    assert rows == [
        (
            "role_change",
            None,
            "auth.user",
            str(user.pk),
            {"groups": [[], ["Physician"]]},
            "user newdoc; added Physician; outside a request",
        ),
        (
            "role_change",
            None,
            "auth.user",
            str(user.pk),
            {"groups": [["Physician"], []]},
            "user newdoc; removed Physician; outside a request",
        ),
    ]


def test_a_role_given_in_django_admin_names_the_superuser_who_gave_it(client):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    user = UserFactory(username="newdesk")
    desk_group = Group.objects.get(name="Front desk")
    signed_in(client, admin_user)
    response = client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {
            "username": "newdesk",
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": "",
            "is_active": "on",
            "groups": [str(desk_group.pk)],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2025-03-20",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.content
    event = AuditEvent.objects.filter(action="role_change", object_id=str(user.pk)).get()
    assert (event.username, event.source_address, event.changes, event.detail) == (
        "root",
        "127.0.0.1",
        {"groups": [[], ["Front desk"]]},
        "user newdesk; added Front desk",
    )


# ------------------------------------------------------------------------------------------
# The audit report (Django admin)

REPORT = "/admin/intake/auditevent/"


def test_an_auditor_is_sent_to_the_audit_report(client, auditor):
    response = signed_in(client, auditor).get("/")
    assert response.status_code == 302
    assert response["Location"] == REPORT


def test_the_report_is_read_only_and_closed_to_other_roles(client, auditor, desk, doc):
    event = audit_record(action="view", user=desk)
    signed_in(client, auditor)
    assert client.get(REPORT).status_code == 200
    assert client.get(f"{REPORT}{event.pk}/change/").status_code == 200
    assert client.get(f"{REPORT}add/").status_code == 403
    assert client.post(f"{REPORT}{event.pk}/delete/").status_code == 403
    assert client.post(f"{REPORT}{event.pk}/change/", {"action": "list"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == "view"
    criteria_admin = UserFactory(username="cadmin", is_staff=True, role="Criteria admin")
    assert signed_in(client, criteria_admin).get(REPORT).status_code == 403
    response = signed_in(client, doc).get(REPORT)  # not staff: the admin's sign-in page
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_report_filters_by_patient_including_list_pages(client, auditor, desk, doc):
    mine, other = PatientFactory(mrn="MRN-7"), PatientFactory()
    audit_record(action="view", user=desk, patient=mine, part="patient page")
    audit_record(action="list", user=doc, patients_shown=[other.pk, mine.pk], part="queue")
    audit_record(action="view", user=desk, patient=other, part="patient page")
    audit_record(action="list", user=desk, patients_shown=[other.pk], part="patient list")
    signed_in(client, auditor)

    def shown(typed: str) -> list[tuple[str, str]]:
        response = client.get(REPORT, {"patient": typed})
        return [(e.part, e.username) for e in response.context["cl"].result_list]

    assert shown("mrn-7") == [("queue", "doc"), ("patient page", "desk")]
    # By id; the auditor's own look at the patient's rows is on the report now too.
    assert shown(str(mine.pk)) == [
        ("audit report", "audrey"),
        ("queue", "doc"),
        ("patient page", "desk"),
    ]
    assert shown("nobody") == []


def test_the_report_filters_by_user_action_outcome_and_day(client, auditor, desk, doc):
    with time_machine.travel(NOW - datetime.timedelta(days=2), tick=False):
        audit_record(action="view", user=desk, part="two days ago")
    audit_record(action="view", user=desk, part="today desk")
    audit_record(action="list", user=doc, part="today doc")
    audit_record(action="view", user=doc, part="refused", outcome="refused")
    signed_in(client, auditor)

    def parts(**params) -> list[str]:
        """The parts listed, leaving out the auditor's own earlier looks at the report."""
        response = client.get(REPORT, params)
        assert response.status_code == 200
        return [e.part for e in response.context["cl"].result_list if e.username != "audrey"]

    assert parts(user="desk") == ["today desk", "two days ago"]
    assert parts(user=str(doc.pk)) == ["refused", "today doc"]
    assert parts(action__exact="list") == ["today doc"]
    assert parts(outcome__exact="refused") == ["refused"]
    day = (NOW - datetime.timedelta(days=2)).date().isoformat()
    assert parts(**{"from": day, "until": day}) == ["two days ago"]
    assert client.get(REPORT, {"from": "03/20/2025"})["Location"] == f"{REPORT}?e=1"


def test_looking_at_the_report_is_audited(client, auditor, desk):
    patient = PatientFactory(mrn="MRN-9")
    audit_record(action="view", user=desk, patient=patient)
    signed_in(client, auditor).get(REPORT, {"patient": "MRN-9"})
    event = AuditEvent.objects.filter(username="audrey", action="list").get()
    assert (event.action, event.role, event.patient_id, event.part, event.patients_shown) == (
        "list",
        "Auditor",
        patient.pk,
        "audit report",
        [patient.pk],
    )
    assert event.detail == "1 events shown; filters: patient filter"


def test_the_report_csv_is_the_filtered_report_and_is_audited(client, auditor, desk, doc):
    patient = PatientFactory(mrn="MRN-5")
    audit_record(action="view", user=desk, patient=patient, part="patient page")
    audit_record(action="view", user=doc, part="=cmd")  # a formula is not run by a spreadsheet
    signed_in(client, auditor)
    response = client.get(f"{REPORT}export.csv", {"user": "desk"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == list(audit_selectors.CSV_HEADER)
    assert [(r[2], r[4], r[6], r[7], r[11]) for r in rows[1:]] == [
        ("desk", "view", str(patient.pk), "MRN-5", "patient page")
    ]
    export = AuditEvent.objects.get(action="export")
    assert (export.username, export.part, export.patients_shown, export.detail) == (
        "audrey",
        "audit report CSV",
        [patient.pk],
        "1 rows with a patient; filters: user=desk",
    )
    everything = client.get(f"{REPORT}export.csv")
    cells = [r[11] for r in csv.reader(io.StringIO(b"".join(everything).decode()))]
    assert "'=cmd" in cells


def test_the_reports_count_is_bounded(client, auditor, desk, monkeypatch):
    """Past the bound the page says "about" and no query counts the whole log."""
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    for n in range(6):
        audit_record(action="view", user=desk, detail=str(n))
    signed_in(client, auditor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(REPORT)
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 4" in sql for sql in counts), counts
    assert response.context["cl"].paginator.estimated is True
    assert re.search(r"about \d+ audit events", response.text)


# ------------------------------------------------------------------------------------------
# verify_audit


def run_verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def tamper(sql: str, params: list) -> None:
    """Raw SQL as an attacker with database rights (on PostgreSQL the append-only triggers are
    switched off first, as the table's owner can)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks may remain
            cursor.execute(f"ALTER TABLE {AuditEvent._meta.db_table} DISABLE TRIGGER USER")
        cursor.execute(sql, params)


@pytest.fixture
def chain(desk):
    return [audit_record(action="view", user=desk, detail=str(n)) for n in range(4)]


def test_verify_audit_says_the_chain_is_whole(chain):
    total = AuditEvent.objects.count()
    assert run_verify() == (0, f"Audit chain whole: {total} events.\n", "")


def test_verify_audit_names_a_changed_row(chain):
    table = AuditEvent._meta.db_table
    tamper(f"UPDATE {table} SET detail = 'edited' WHERE id = %s", [chain[1].pk])
    status, out, err = run_verify()
    assert (status, out) == (1, "")
    assert err == (
        f"Audit chain broken at event {chain[1].pk} ({NOW.isoformat()}, view): its content was "
        f"changed. The last intact row is event {chain[0].pk} ({NOW.isoformat()}, view).\n"
    )


def test_verify_audit_names_the_row_after_a_deleted_one(chain):
    tamper(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [chain[1].pk])
    status, _out, err = run_verify()
    assert status == 1
    assert err.startswith(
        f"Audit chain broken at event {chain[2].pk} ({NOW.isoformat()}, view): the row before "
        "it was deleted or changed."
    )


def test_verify_audit_notices_the_newest_rows_removed(chain):
    tamper(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [chain[3].pk])
    status, _out, err = run_verify()
    assert status == 1
    assert err == (
        "Audit chain broken: the newest rows were removed: the chain head names a hash no row "
        f"has. The last intact row is event {chain[2].pk} ({NOW.isoformat()}, view).\n"
    )
