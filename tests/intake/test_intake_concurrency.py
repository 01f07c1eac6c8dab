"""Races on PostgreSQL: the row locks make a double submit one screening, a double start one
draft, and two desks registering one MRN one patient (SQLite serialises writes anyway)."""

from __future__ import annotations

import threading
import time

import pytest

from intake.models import Intake, Patient, Screening
from intake.services import intakes as intake_services
from intake.services import patients as patient_services
from tests.concurrency import run_together
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory
from tests.intake.frontdesk_helpers import AS_OF

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,  # row locks; see tests/conftest.py
]


@pytest.fixture
def slow_screening(monkeypatch):
    """Hold the lock a little while screening, so the second request really has to wait."""
    real = intake_services.screening_record

    def slow(**kwargs):
        time.sleep(0.3)
        return real(**kwargs)

    monkeypatch.setattr(intake_services, "screening_record", slow)


def test_two_simultaneous_submits_make_one_screening(default_set, slow_screening):
    draft = IntakeFactory(patient=PatientFactory())
    desk = FrontDeskFactory()

    def submit():
        return intake_services.intake_submit(
            intake_id=draft.pk, changes={"hospitalized": True}, version=1, user=desk, as_of=AS_OF
        )

    results = run_together(submit, submit)
    assert Screening.objects.filter(intake=draft).count() == 1
    assert sorted(type(r).__name__ for r in results) == ["AlreadySubmitted", "Screening"]
    assert Intake.objects.get(pk=draft.pk).status == "submitted"


def test_two_simultaneous_starts_make_one_draft(default_set, monkeypatch):
    patient = PatientFactory()
    desk = FrontDeskFactory()
    real = intake_services.newest_published_set

    def slow(procedure):
        time.sleep(0.3)
        return real(procedure)

    monkeypatch.setattr(intake_services, "newest_published_set", slow)

    def start():
        return intake_services.intake_start(
            patient=patient, procedure=default_set.procedure, user=desk
        )

    first, second = run_together(start, start)
    assert Intake.objects.filter(patient=patient).count() == 1
    assert sorted([first[1], second[1]]) == [False, True]
    assert first[0] == second[0]


def test_two_desks_registering_one_mrn_make_one_patient(db, monkeypatch):
    desk = FrontDeskFactory()
    both_checked = threading.Barrier(2)
    real = patient_services.patient_likely_duplicates

    def checked_together(**kwargs):
        found = real(**kwargs)
        both_checked.wait(10)  # both pass the MRN check before either inserts
        return found

    monkeypatch.setattr(patient_services, "patient_likely_duplicates", checked_together)

    def register(first_name):
        return lambda: patient_services.patient_create(
            data={
                "mrn": "RACE-1",
                "first_name": first_name,
                "last_name": "Racer",
                "date_of_birth": "1950-01-01",
            },
            user=desk,
        )

    results = run_together(register("Ann"), register("Bea"))
    assert Patient.objects.filter(mrn="RACE-1").count() == 1
    assert sorted(type(r).__name__ for r in results) == ["DuplicateMRN", "Patient"]
