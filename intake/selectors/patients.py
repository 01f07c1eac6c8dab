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


def day_month_swapped(day: datetime.date) -> datetime.date | None:
    """The date with day and month swapped (1948-03-07 -> 1948-07-03), when that is another
    valid date; else None. A day above 12 cannot be a month, and 07-07 swaps to itself."""
    if day.day > 12 or day.day == day.month:
        return None
    return day.replace(month=day.day, day=day.month)


def patient_likely_duplicates(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date,
    exclude_id: int | None = None,
) -> list[Patient]:
    """Patients with a similar name (see ``intake.names.similar_names``) born the same day, or
    on the day with day and month swapped (a date typed the other way round); same-day first.

    One indexed query (date of birth, both dates); the few people born on them are compared
    here.
    """
    born = [date_of_birth]
    if (swapped := day_month_swapped(date_of_birth)) is not None:
        born.append(swapped)
    candidates = Patient.objects.filter(date_of_birth__in=born).order_by(
        "last_name", "first_name", "id"
    )
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    similar = [
        patient
        for patient in candidates
        if similar_names(first_name, last_name, patient.first_name, patient.last_name)
    ]
    # Stable: name order within each date.
    return sorted(similar, key=lambda patient: patient.date_of_birth != date_of_birth)
