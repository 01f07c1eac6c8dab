"""Writes of patients: register and edit, refusing a known MRN and flagging likely duplicates."""

from __future__ import annotations

import datetime
from collections.abc import Collection
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from intake.models import Patient
from intake.names import name_key
from intake.selectors.patients import patient_by_mrn, patient_likely_duplicates

# The fields a person fills in; the name keys are derived from the names.
PATIENT_FIELDS = (
    "mrn",
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "phone",
    "insurance_payer",
    "insurance_member_id",
    "referring_physician",
)


class DuplicateMRN(ValidationError):
    """The medical record number belongs to another patient."""

    def __init__(self, existing: Patient):
        self.existing = existing
        super().__init__(
            {"mrn": "Another patient already has this medical record number."}, code="unique"
        )


class PossibleDuplicates(Exception):
    """Patients with a similar name born the same day (or with day and month swapped): the
    user opens one or confirms."""

    def __init__(self, matches: list[Patient]):
        self.matches = matches
        super().__init__(f"{len(matches)} likely match(es)")


def normalize_mrn(mrn: str) -> str:
    """MRNs are compared and stored without surrounding spaces and in upper case."""
    return mrn.strip().upper()


def _check_duplicates(
    *,
    mrn: str,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date,
    exclude_id: int | None,
    confirmed_distinct_from: Collection[int],
) -> None:
    existing = patient_by_mrn(mrn=mrn, exclude_id=exclude_id)
    if existing is not None:
        raise DuplicateMRN(existing)
    matches = patient_likely_duplicates(
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        exclude_id=exclude_id,
    )
    # A confirmation holds for the matches the user saw; a new one is shown again.
    unconfirmed = [p for p in matches if p.pk not in set(confirmed_distinct_from)]
    if unconfirmed:
        raise PossibleDuplicates(matches)


def _save(patient: Patient) -> Patient:
    patient.first_name_key = name_key(patient.first_name)
    patient.last_name_key = name_key(patient.last_name)
    # Who registered a patient is the service's to set, not a typed field (older records and
    # imports have none), so it is not validated as one. The MRN's uniqueness is checked
    # before (_check_duplicates) and, against a registration at the same moment, by the
    # database below: either way the desk is told "DuplicateMRN", never a bare field error.
    patient.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError:
        # Two desks registering the same MRN at the same moment: the database decides.
        existing = patient_by_mrn(mrn=patient.mrn, exclude_id=patient.pk)
        if existing is None:
            raise
        raise DuplicateMRN(existing) from None
    return patient


@transaction.atomic
def patient_create(
    *,
    data: dict[str, Any],
    user: User,
    confirmed_distinct_from: Collection[int] = (),
) -> Patient:
    """Register a patient from ``data`` (the PATIENT_FIELDS).

    Raises DuplicateMRN when the MRN is taken, PossibleDuplicates when someone born the same day
    (or on the date with day and month swapped) has a similar name and the user has not
    confirmed that this is a different person (by the ids of the matches shown), and
    ValidationError for invalid data.
    """
    patient = Patient(**{name: data[name] for name in PATIENT_FIELDS if name in data})
    patient.mrn = normalize_mrn(patient.mrn)
    patient.created_by = user
    # Typed values as Python values (a date given as text, say) before they are compared.
    patient.clean_fields()
    _check_duplicates(
        mrn=patient.mrn,
        first_name=patient.first_name,
        last_name=patient.last_name,
        date_of_birth=patient.date_of_birth,
        exclude_id=None,
        confirmed_distinct_from=confirmed_distinct_from,
    )
    return _save(patient)


@transaction.atomic
def patient_update(
    *,
    patient: Patient,
    data: dict[str, Any],
    user: User,
    confirmed_distinct_from: Collection[int] = (),
) -> Patient:
    """Change a patient's details, with the same duplicate checks as registering.

    The checks run only when the MRN, a name or the date of birth changes, so a confirmed
    "different person" is not asked again for a new phone number.
    """
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    identity_before = _identity(patient)
    for name in PATIENT_FIELDS:
        if name in data:
            setattr(patient, name, data[name])
    patient.mrn = normalize_mrn(patient.mrn)
    patient.clean_fields()
    if _identity(patient) != identity_before:
        _check_duplicates(
            mrn=patient.mrn,
            first_name=patient.first_name,
            last_name=patient.last_name,
            date_of_birth=patient.date_of_birth,
            exclude_id=patient.pk,
            confirmed_distinct_from=confirmed_distinct_from,
        )
    return _save(patient)


def _identity(patient: Patient) -> tuple:
    """What duplicate detection looks at: changing anything else asks nothing again."""
    return (
        patient.mrn,
        name_key(patient.first_name),
        name_key(patient.last_name),
        patient.date_of_birth,
    )
