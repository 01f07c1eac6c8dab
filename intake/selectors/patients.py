"""Reads of patients: the searchable list, one patient, likely duplicates."""

from __future__ import annotations

import datetime
import re

from django.contrib.postgres.lookups import TrigramSimilar, TrigramWordSimilar
from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db import connection
from django.db.models import Case, Count, Expression, F, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.db.models.lookups import GreaterThanOrEqual

from intake.models import Intake, Patient
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


# A name word matches a name key it is part of, or that is this similar to it (pg_trgm's
# figures, ``names.trigram_similarity`` and ``names.word_similarity``). 0.4 finds "Hollowey" for
# "Holloway" (0.5) but not "Strand" for "Strauss" (0.36) nor "Luke" for "Lukasz" (0.33); word
# similarity 0.6 (pg_trgm's default threshold) finds a name from a mistyped beginning ("holo").
NAME_SIMILARITY = 0.4
NAME_WORD_SIMILARITY = 0.6
_NAME_KEYS = ("first_name_key", "last_name_key")


def _word_matches(key: str, *, postgres: bool) -> Q:
    """A name word (as a key) against the first and last name keys.

    On PostgreSQL the trigram operators (``%``, ``%>``) come first so the GIN trigram indexes
    find the candidates; the thresholds then decide, the same on both databases (SQLite gets
    the two functions from ``intake.apps``).
    """
    matches = Q()
    for field in _NAME_KEYS:
        similar = Q(GreaterThanOrEqual(TrigramSimilarity(field, Value(key)), NAME_SIMILARITY))
        begins = Q(
            GreaterThanOrEqual(TrigramWordSimilarity(Value(key), field), NAME_WORD_SIMILARITY)
        )
        if postgres:
            similar &= Q(TrigramSimilar(F(field), Value(key)))
            begins &= Q(TrigramWordSimilar(F(field), Value(key)))
        matches |= Q(**{f"{field}__contains": key}) | similar | begins
    return matches


def _search_rank(keys: list[str]) -> Expression:
    """Best match first: per word, the best similarity and word similarity to either name."""
    total: Expression = Value(0.0)
    for key in keys:
        total += Greatest(*(TrigramSimilarity(f, Value(key)) for f in _NAME_KEYS))
        total += Greatest(*(TrigramWordSimilarity(Value(key), f) for f in _NAME_KEYS))
    return total


def _name_and_mrn_match(term: str, *, postgres: bool) -> Q:
    words = term.split()
    # Every word must match the MRN (any part of it: "0042" finds MRN00421) or a name.
    every_word = Q()
    for word in words:
        word_q = Q(mrn__icontains=word)
        if key := name_key(word):
            word_q |= _word_matches(key, postgres=postgres)
        every_word &= word_q
    if len(words) > 1 and (whole := name_key(term)):
        # The whole term as one key too: "de la cruz" finds "Delacruz".
        every_word |= Q(last_name_key__contains=whole)
    return every_word


def patients_matching(*, search: str) -> QuerySet[Patient]:
    """Patients a search term finds, unordered: the one search of the patient list and the
    review queue.

    A term that reads as a date finds that date of birth. Otherwise every word of it must be
    part of the MRN (ignoring case) or match the first or last name, compared by name key
    (``names.name_key``: case, accents, hyphens and spaces never matter): part of it, or similar
    enough to it to be a typo ("Hollowey" finds Holloway; see NAME_SIMILARITY).
    """
    term = search.strip()
    patients = Patient.objects.all()
    if not term:
        return patients
    date = search_date(term)
    if date is not None:
        return patients.filter(date_of_birth=date)
    return patients.filter(_name_and_mrn_match(term, postgres=connection.vendor == "postgresql"))


def patient_list(*, search: str = "") -> QuerySet[Patient]:
    """Patients in name order (the ``patient_name_order_idx`` index), or, for a search term
    (see ``patients_matching``), the best match first (an MRN typed in full, then by
    similarity of the names to the words), then in name order.

    Nothing is counted per patient here: the list's page is cut from ``patient_list_ids``,
    then ``patient_page`` reads its patients and counts their intakes.
    """
    patients = patients_matching(search=search)
    by_name = ("last_name", "first_name", "id")
    term = search.strip()
    keys = [key for key in (name_key(word) for word in term.split()) if key]
    if not term or search_date(term) is not None or not keys:
        return patients.order_by(*by_name)
    full_mrn = Case(When(mrn__iexact=term, then=Value(1)), default=Value(0))
    return patients.annotate(mrn_rank=full_mrn, search_rank=_search_rank(keys)).order_by(
        "-mrn_rank", "-search_rank", *by_name
    )


def patient_list_ids(*, search: str = "") -> QuerySet[Patient, int]:
    """``patient_list``'s ids, in its order: what the list's paginator cuts. In name order a
    page is read from the name index alone (an index-only scan), however deep the page."""
    return patient_list(search=search).values_list("pk", flat=True)


def patient_page(
    *, search: str = "", page_ids: QuerySet[Patient, int] | list[int]
) -> list[Patient]:
    """The patients of one page of ``patient_list`` (its ids: a sliced ``patient_list_ids``,
    read as a subquery), in the list's order, each with ``intake_count``: two queries (the
    patients, then their intakes counted on the (patient, created) index), whatever the page
    and however many patients and intakes there are."""
    shown = list(patient_list(search=search).filter(pk__in=page_ids))
    counts = dict(
        Intake.objects.filter(patient_id__in=[patient.pk for patient in shown])
        .order_by()
        .values("patient_id")
        .annotate(count=Count("id"))
        .values_list("patient_id", "count")
    )
    for patient in shown:
        patient.intake_count = counts.get(patient.pk, 0)
    return shown


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
