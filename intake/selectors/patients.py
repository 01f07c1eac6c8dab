"""Reads of patients: the searchable list, one patient, likely duplicates."""

from __future__ import annotations

import datetime
import re

from django.db.models import Count, Q, QuerySet

from intake.models import Patient
from intake.names import name_key, similar_names

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def search_date(term: str) -> datetime.date | None:
    """A search term read as a date of birth (2025-03-14 or 03/14/2025), else None."""
    term = term.strip()
    try:
        if match := _ISO_DATE.fullmatch(term):
            year, month, day = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
        if match := _US_DATE.fullmatch(term):
            month, day, year = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
    except ValueError:
        return None
    return None


def patient_list(*, search: str = "") -> QuerySet[Patient]:
    """Patients in name order, each with its number of intakes; filtered by a search term.

    The term matches a date of birth (when it reads as a date), an MRN (exactly, ignoring
    case, or its beginning), or names: every word of the term must start or appear in the
    first or last name, compared by name key (case, accents, hyphens and spaces ignored).
    """
    patients = Patient.objects.annotate(intake_count=Count("intakes")).order_by(
        "last_name", "first_name", "id"
    )
    term = search.strip()
    if not term:
        return patients
    date = search_date(term)
    if date is not None:
        return patients.filter(date_of_birth=date)
    condition = Q(mrn__iexact=term) | Q(mrn__istartswith=term)
    words = [key for key in (name_key(word) for word in term.split()) if key]
    if words:
        by_name = Q()
        for key in words:
            by_name &= Q(first_name_key__contains=key) | Q(last_name_key__contains=key)
        # The whole term as one key too: "de la cruz" finds "Delacruz".
        condition |= by_name | Q(last_name_key__contains=name_key(term))
    return patients.filter(condition)


def patient_get(*, patient_id: int) -> Patient | None:
    return Patient.objects.filter(pk=patient_id).first()


def patient_by_mrn(*, mrn: str, exclude_id: int | None = None) -> Patient | None:
    found = Patient.objects.filter(mrn__iexact=mrn.strip())
    if exclude_id is not None:
        found = found.exclude(pk=exclude_id)
    return found.first()


def patient_likely_duplicates(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date,
    exclude_id: int | None = None,
) -> list[Patient]:
    """Patients born the same day whose name is similar (see ``intake.names.similar_names``).

    One indexed query (date of birth); the few people sharing a birthday are compared here.
    """
    born_same_day = Patient.objects.filter(date_of_birth=date_of_birth).order_by(
        "last_name", "first_name", "id"
    )
    if exclude_id is not None:
        born_same_day = born_same_day.exclude(pk=exclude_id)
    return [
        patient
        for patient in born_same_day
        if similar_names(first_name, last_name, patient.first_name, patient.last_name)
    ]
