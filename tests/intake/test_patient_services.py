"""Registering and editing patients: a known MRN is refused, likely duplicates are flagged."""

from __future__ import annotations

import datetime

import pytest

from intake.models import Patient
from intake.services.patients import (
    DuplicateMRN,
    PossibleDuplicates,
    patient_create,
    patient_update,
)
from tests.factories import FrontDeskFactory, PatientFactory

pytestmark = pytest.mark.django_db

BORN = datetime.date(1947, 5, 2)


def data(**overrides) -> dict:
    values = {
        "mrn": "A-1001",
        "first_name": "Maria",
        "last_name": "Garcia Lopez",
        "date_of_birth": BORN,
        "sex": "female",
        "phone": "555 0100",
        "insurance_payer": "Medicare",
        "insurance_member_id": "1EG4-TE5-MK72",
        "referring_physician": "Dr Osei",
    }
    values.update(overrides)
    return values


@pytest.fixture
def desk():
    return FrontDeskFactory()


@pytest.fixture
def maria(desk):
    return patient_create(data=data(), user=desk)


def test_create_stores_every_field_name_keys_and_who(desk):
    patient = patient_create(data=data(mrn="  a-1001 ", first_name="María"), user=desk)
    patient.refresh_from_db()
    assert patient.mrn == "A-1001"
    assert (patient.first_name, patient.first_name_key) == ("María", "maria")
    assert patient.last_name_key == "garcialopez"
    assert patient.insurance_member_id == "1EG4-TE5-MK72"
    assert patient.created_by == desk


@pytest.mark.parametrize("mrn", ["A-1001", "a-1001", " A-1001 "])
def test_same_mrn_is_refused_and_names_the_owner(desk, maria, mrn):
    with pytest.raises(DuplicateMRN) as refused:
        patient_create(
            data=data(mrn=mrn, first_name="Other", last_name="Person", date_of_birth=BORN),
            user=desk,
        )
    assert refused.value.existing == maria
    assert refused.value.message_dict == {
        "mrn": ["Another patient already has this medical record number."]
    }
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("MARIA", "GARCIA LOPEZ"),  # case
        ("María", "García López"),  # accents
        ("Maria", "Garcia-Lopez"),  # hyphen instead of a space
        ("Maria", "GarciaLopez"),  # no space
        ("Garcia Lopez", "Maria"),  # first and last swapped
        ("Mraia", "Garcia Lopez"),  # a typo (two letters swapped)
        ("Maria", "Garcia Lopes"),  # a one-letter typo
    ],
)
def test_same_birthday_and_similar_name_asks_before_registering(desk, maria, first, last):
    with pytest.raises(PossibleDuplicates) as asked:
        patient_create(data=data(mrn="B-2", first_name=first, last_name=last), user=desk)
    assert asked.value.matches == [maria]
    assert Patient.objects.count() == 1


def test_confirmed_different_person_is_registered(desk, maria):
    patient = patient_create(
        data=data(mrn="B-2", first_name="Maria", last_name="Garcia-Lopez"),
        user=desk,
        confirmed_distinct_from=[maria.pk],
    )
    assert Patient.objects.count() == 2
    assert patient.mrn == "B-2"


def test_a_confirmation_covers_only_the_matches_shown(desk, maria):
    """Someone similar registered meanwhile is shown again, not silently accepted."""
    twin = PatientFactory(first_name="Maria", last_name="Garcia Lopes", date_of_birth=BORN)
    with pytest.raises(PossibleDuplicates) as asked:
        patient_create(
            data=data(mrn="B-2", last_name="Garcia-Lopez"),
            user=desk,
            confirmed_distinct_from=[maria.pk],
        )
    assert set(asked.value.matches) == {maria, twin}


@pytest.mark.parametrize(
    "overrides",
    [
        {"date_of_birth": datetime.date(1947, 5, 3)},  # born another day
        {"first_name": "Marta", "last_name": "Gomez"},  # another name
    ],
)
def test_different_people_are_registered_without_asking(desk, maria, overrides):
    patient_create(data=data(mrn="B-2", **overrides), user=desk)
    assert Patient.objects.count() == 2


def test_edit_changing_contact_details_does_not_ask_again(desk, maria):
    twin = patient_create(
        data=data(mrn="B-2", last_name="Garcia-Lopez"),
        user=desk,
        confirmed_distinct_from=[maria.pk],
    )
    saved = patient_update(patient=twin, data=data(mrn="B-2", phone="555 0199"), user=desk)
    assert saved.phone == "555 0199"
    assert saved.last_name == "Garcia Lopez"


def test_edit_to_a_similar_name_asks_and_saves_nothing(desk, maria):
    other = patient_create(data=data(mrn="B-2", first_name="Ana", last_name="Ruiz"), user=desk)
    with pytest.raises(PossibleDuplicates) as asked:
        patient_update(
            patient=other,
            data=data(mrn="B-2", first_name="Maria", last_name="Garcia-Lopez"),
            user=desk,
        )
    assert asked.value.matches == [maria]
    other.refresh_from_db()
    assert (other.first_name, other.last_name) == ("Ana", "Ruiz")


def test_edit_to_an_existing_mrn_is_refused(desk, maria):
    other = patient_create(data=data(mrn="B-2", first_name="Ana", last_name="Ruiz"), user=desk)
    with pytest.raises(DuplicateMRN):
        patient_update(
            patient=other, data=data(mrn="a-1001", first_name="Ana", last_name="Ruiz"), user=desk
        )
    other.refresh_from_db()
    assert other.mrn == "B-2"


def test_edit_keeps_its_own_mrn(desk, maria):
    saved = patient_update(patient=maria, data=data(referring_physician="Dr Chen"), user=desk)
    assert saved.referring_physician == "Dr Chen"
