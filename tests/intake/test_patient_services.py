"""Registering and editing patients: a known MRN is refused, likely duplicates are flagged."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from intake.models import Patient
from intake.selectors.patients import day_month_swapped, patient_likely_duplicates
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


def test_swapped_first_and_last_name_with_a_typo_in_each_asks_before_registering(desk, maria):
    """ "Garcia Lopes, Mraia" is offered as "Maria Garcia Lopez" typed the other way round."""
    with pytest.raises(PossibleDuplicates) as asked:
        patient_create(
            data=data(mrn="B-2", first_name="Garcia Lopes", last_name="Mraia"), user=desk
        )
    assert asked.value.matches == [maria]
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    ("born", "swapped"),
    [
        (datetime.date(1948, 3, 7), datetime.date(1948, 7, 3)),
        (datetime.date(1948, 7, 3), datetime.date(1948, 3, 7)),
        (datetime.date(1950, 12, 1), datetime.date(1950, 1, 12)),
        (datetime.date(1948, 3, 13), None),  # 13 is not a month
        (datetime.date(1948, 1, 31), None),
        (datetime.date(1948, 7, 7), None),  # the same date
    ],
)
def test_day_month_swapped_is_another_valid_date_or_none(born, swapped):
    """The swapped date exists only when the day can be a month and the swap changes the date."""
    assert day_month_swapped(born) == swapped


@pytest.mark.parametrize(
    ("registered", "typed"),
    [
        (datetime.date(1948, 3, 7), datetime.date(1948, 7, 3)),
        (datetime.date(1948, 7, 3), datetime.date(1948, 3, 7)),
    ],
)
def test_day_and_month_swapped_with_a_similar_name_asks_before_registering(desk, registered, typed):
    """A date of birth typed with day and month the other way round still finds the patient."""
    existing = patient_create(
        data=data(first_name="Helen", last_name="Novak", date_of_birth=registered), user=desk
    )
    with pytest.raises(PossibleDuplicates) as asked:
        patient_create(
            data=data(mrn="B-2", first_name="Helen", last_name="Nowak", date_of_birth=typed),
            user=desk,
        )
    assert asked.value.matches == [existing]
    assert Patient.objects.count() == 1


def test_a_date_of_birth_given_as_text_is_compared_as_a_date(desk, maria):
    """Data from outside a form (an import, a script) may carry the date as text."""
    with pytest.raises(PossibleDuplicates) as asked:
        patient_create(data=data(mrn="B-2", date_of_birth="1947-02-05"), user=desk)
    assert asked.value.matches == [maria]


def test_an_invalid_date_of_birth_is_refused_before_duplicates_are_looked_for(desk):
    """Text that is not a date is a field error, not a crash; nothing is saved."""
    with pytest.raises(ValidationError) as refused:
        patient_create(data=data(date_of_birth="1947-13-45"), user=desk)
    assert list(refused.value.message_dict) == ["date_of_birth"]
    assert Patient.objects.count() == 0


def test_day_and_month_swapped_with_another_name_is_registered_without_asking(desk):
    """The swapped date alone is not a match: the name must be similar too."""
    patient_create(
        data=data(first_name="Helen", last_name="Novak", date_of_birth=datetime.date(1948, 3, 7)),
        user=desk,
    )
    patient_create(
        data=data(
            mrn="B-2",
            first_name="Marta",
            last_name="Gomez",
            date_of_birth=datetime.date(1948, 7, 3),
        ),
        user=desk,
    )
    assert Patient.objects.count() == 2


def test_same_day_matches_come_before_swapped_date_matches(desk):
    """Both dates are searched; the same-day match is listed first, then the swapped one."""
    swapped = PatientFactory(
        first_name="Helen", last_name="Abbot", date_of_birth=datetime.date(1948, 7, 3)
    )
    same_day = PatientFactory(
        first_name="Helen", last_name="Abbott", date_of_birth=datetime.date(1948, 3, 7)
    )
    with pytest.raises(PossibleDuplicates) as asked:
        patient_create(
            data=data(
                mrn="B-2",
                first_name="Helen",
                last_name="Abbott",
                date_of_birth=datetime.date(1948, 3, 7),
            ),
            user=desk,
        )
    assert asked.value.matches == [same_day, swapped]


def test_likely_duplicates_on_both_dates_take_one_query(django_assert_num_queries):
    """The same day and the swapped day are read together, through the date-of-birth index."""
    PatientFactory(first_name="Helen", last_name="Novak", date_of_birth=datetime.date(1948, 7, 3))
    with django_assert_num_queries(1):
        found = patient_likely_duplicates(
            first_name="Helen", last_name="Novak", date_of_birth=datetime.date(1948, 3, 7)
        )
    assert [p.last_name for p in found] == ["Novak"]


def test_edit_to_a_swapped_date_of_birth_asks_and_saves_nothing(desk):
    """Correcting a date of birth to another patient's, typed the other way round, asks first."""
    existing = PatientFactory(
        first_name="Helen", last_name="Novak", date_of_birth=datetime.date(1948, 7, 3)
    )
    other = patient_create(
        data=data(mrn="B-2", first_name="Helen", last_name="Nowak", date_of_birth=BORN),
        user=desk,
    )
    with pytest.raises(PossibleDuplicates) as asked:
        patient_update(
            patient=other,
            data=data(
                mrn="B-2",
                first_name="Helen",
                last_name="Nowak",
                date_of_birth=datetime.date(1948, 3, 7),
            ),
            user=desk,
        )
    assert asked.value.matches == [existing]
    other.refresh_from_db()
    assert other.date_of_birth == BORN


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
