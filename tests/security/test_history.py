"""Row history: a patient's edits, an intake's draft saves and a decision's planned dates each
keep every earlier value with who changed it and when; the patient page lists the patient's."""

from __future__ import annotations

import datetime
import html
import re

import pytest
import time_machine
from django.urls import reverse

from intake.models import Decision, DecisionKind, Intake, Patient
from intake.services import reviews
from intake.services.accounts import roles_ensure
from tests.factories import FrontDeskFactory, IntakeFactory, PhysicianFactory
from tests.intake.frontdesk_helpers import form_data
from tests.intake.review.factories import submitted_intake

pytestmark = pytest.mark.django_db

MORNING = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)
NOON = datetime.datetime(2025, 3, 20, 12, 0, tzinfo=datetime.UTC)

PATIENT_POST = {
    "mrn": "A-100",
    "first_name": "Maria",
    "last_name": "Lopez",
    "date_of_birth": "1950-02-03",
    "sex": "female",
    "phone": "555-0100",
    "insurance_payer": "",
    "insurance_member_id": "",
    "referring_physician": "",
}


@pytest.fixture(autouse=True)
def _roles():
    roles_ensure()


def test_patient_edits_keep_each_version_with_who_and_when(client):
    registrar = FrontDeskFactory(username="reg", first_name="Rita", last_name="Reg")
    editor = FrontDeskFactory(username="ed", first_name="Ed", last_name="Itor")
    client.force_login(registrar)
    with time_machine.travel(MORNING, tick=False):
        client.post("/patients/new/", PATIENT_POST)
    patient = Patient.objects.get()
    client.force_login(editor)
    with time_machine.travel(NOON, tick=False):
        edit = PATIENT_POST | {"last_name": "Lopez-Garcia", "date_of_birth": "1950-03-02"}
        assert client.post(f"/patients/{patient.pk}/edit/", edit).status_code == 302

    rows = patient.history.order_by("history_id").values_list(
        "history_type", "history_user__username", "history_date", "last_name", "date_of_birth"
    )
    assert list(rows) == [
        ("+", "reg", MORNING, "Lopez", datetime.date(1950, 2, 3)),
        ("~", "ed", NOON, "Lopez-Garcia", datetime.date(1950, 3, 2)),
    ]


def test_the_patient_page_lists_the_changes_to_front_desk_and_physicians(client):
    registrar = FrontDeskFactory(username="reg", first_name="Rita", last_name="Reg")
    client.force_login(registrar)
    with time_machine.travel(MORNING, tick=False):
        client.post("/patients/new/", PATIENT_POST)
    patient = Patient.objects.get()
    with time_machine.travel(NOON, tick=False):
        client.post(f"/patients/{patient.pk}/edit/", PATIENT_POST | {"last_name": "Lopez-Garcia"})

    for user in (registrar, PhysicianFactory()):
        client.force_login(user)
        page = html.unescape(client.get(f"/patients/{patient.pk}/").content.decode())
        section = " ".join(
            re.search(r'<section[^>]*id="history">(.*?)</section>', page, re.S)[1].split()
        )
        rows = re.findall(r"<tr> <td>(.*?)</td> <td>(.*?)</td> <td>(.*?)</td> </tr>", section)
        assert [(when, who, re.sub(r"<[^>]+>", "", what).split()) for when, who, what in rows] == [
            (
                "2025-03-20 12:00",
                "Rita Reg",
                ["Changed", "Last", "name:", "Lopez", "→", "Lopez-Garcia"],
            ),
            (
                "2025-03-20 09:00",
                "Rita Reg",
                [
                    "Registered",
                    "Medical",
                    "record",
                    "number:",
                    "A-100",
                    "First",
                    "name:",
                    "Maria",
                    "Last",
                    "name:",
                    "Lopez",
                    "Date",
                    "of",
                    "birth:",
                    "1950-02-03",
                    "Sex:",
                    "Female",
                    "Phone:",
                    "555-0100",
                ],
            ),
        ]


def test_draft_saves_keep_each_set_of_answers_with_who_and_when(client, default_set):
    first, second = FrontDeskFactory(username="first"), FrontDeskFactory(username="second")
    intake = IntakeFactory(answers={})
    client.force_login(first)
    with time_machine.travel(MORNING, tick=False):
        client.post(f"/intakes/{intake.pk}/", form_data({"pain_nrs": 6}, version=1))
    client.force_login(second)
    with time_machine.travel(NOON, tick=False):
        client.post(f"/intakes/{intake.pk}/", form_data({"pain_nrs": 8}, version=2))

    rows = Intake.history.filter(id=intake.pk).order_by("history_id")
    assert [
        (r.history_type, r.history_user and r.history_user.username, r.history_date, r.answers)
        for r in rows
    ][1:] == [
        ("~", "first", MORNING, {"pain_nrs": 6}),
        ("~", "second", NOON, {"pain_nrs": 8}),
    ]
    assert [r.version for r in rows][1:] == [2, 3]


def test_review_bookkeeping_on_an_intake_writes_no_history_row(default_set):
    """Taking a case saves only the assignment: not an edit of the answers or the status."""
    doc = PhysicianFactory()
    intake = submitted_intake(outcome="candidate")
    before = Intake.history.filter(id=intake.pk).count()
    reviews.review_take(intake=intake, physician=doc)
    assert Intake.history.filter(id=intake.pk).count() == before


def test_planned_date_changes_keep_each_date_with_who_and_when(client, default_set):
    deciding, moving = PhysicianFactory(username="ada"), PhysicianFactory(username="bob")
    intake = submitted_intake(outcome="candidate")
    with time_machine.travel(MORNING, tick=False):
        decision = reviews.review_decide(
            intake=intake,
            screening_id=intake.latest_screening_id,
            kind=DecisionKind.PROCEED,
            physician=deciding,
            planned_procedure_date=datetime.date(2025, 3, 31),
        )
    reviews.review_take_over(intake=intake, physician=moving, expected_holder_id=deciding.pk)
    client.force_login(moving)
    with time_machine.travel(NOON, tick=False):
        url = reverse("review:follow-up", args=[intake.pk])
        assert client.post(url, {"planned_procedure_date": "2025-04-10"}).status_code == 302

    rows = Decision.history.filter(id=decision.pk).order_by("history_id")
    assert [
        (
            r.history_type,
            r.history_user and r.history_user.username,
            r.history_date,
            r.planned_procedure_date,
            r.planned_date_set_by_id,
        )
        for r in rows
    ] == [
        ("+", None, MORNING, datetime.date(2025, 3, 31), deciding.pk),  # signed by a service call
        ("~", "bob", NOON, datetime.date(2025, 4, 10), moving.pk),
    ]


def test_bulk_creation_writes_no_history_and_still_works(default_set):
    """The benchmarks' seeds use bulk_create: rows are created, no history is written."""
    patients = Patient.objects.bulk_create(
        Patient(mrn=f"BULK{n}", first_name="B", last_name=f"P{n}", date_of_birth="1950-01-01")
        for n in range(3)
    )
    assert Patient.objects.filter(mrn__startswith="BULK").count() == 3
    assert Patient.history.filter(id__in=[p.pk for p in patients]).count() == 0
