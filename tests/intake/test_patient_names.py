"""Name keys and similarity: what duplicate detection and search compare; and how pages name a
user (no database)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from intake.names import (
    name_key,
    names_swapped,
    person_name,
    person_name_from_columns,
    similar_names,
    within_one_edit,
)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Garcia", "garcia"),
        ("GARCÍA", "garcia"),
        ("Zoë", "zoe"),
        ("O'Brien-Smith", "obriensmith"),
        ("  de la Cruz ", "delacruz"),
        ("Müller", "muller"),
        ("Straße", "strasse"),
        ("Łukasz", "lukasz"),
        ("Søren", "soren"),
        ("", ""),
    ],
)
def test_name_key_ignores_case_accents_hyphens_and_spaces(typed, key):
    assert name_key(typed) == key


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("smith", "smith", True),
        ("smith", "smyth", True),  # one letter changed
        ("smith", "smiith", True),  # one letter added
        ("smith", "smth", True),  # one letter dropped
        ("smith", "simth", True),  # two neighbours swapped
        ("smith", "smithy", True),  # one letter added at the end
        ("smith", "smyht", False),  # two edits
        ("smith", "jones", False),
        ("ann", "anne", True),
        ("", "a", True),
        ("ab", "ba", True),
        ("abc", "cba", False),
    ],
)
def test_within_one_edit(a, b, expected):
    assert within_one_edit(a, b) is expected
    assert within_one_edit(b, a) is expected


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("maria", "garcia lopez"),  # case
        ("María", "García López"),  # accents
        ("Maria", "Garcia-Lopez"),  # hyphen for a space
        ("Maria", "GarciaLopez"),  # space dropped
        ("Garcia Lopez", "Maria"),  # first and last swapped
        ("Mario", "Garcia Lopez"),  # a one-letter typo in the first name
        ("Maria", "Garcai Lopez"),  # two letters swapped in the last name
        ("Mari", "Garcia Lopez"),  # a letter dropped
        ("Garcia Lopes", "Mraia"),  # swapped, with a typo in each
    ],
)
def test_similar_names_catch_the_variants_a_desk_types(first, last):
    assert similar_names("Maria", "Garcia Lopez", first, last)


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("Garcia Lopes", "Mraia"),  # a letter changed; two neighbours swapped
        ("Garzia-Lopez", "Marie"),  # a letter changed in each
        ("Garcialopez", "Mria"),  # a space and a letter dropped
        ("Garcia Lopezz", "Marija"),  # a letter added to each
    ],
)
def test_swapped_first_and_last_name_with_a_typo_in_each_are_similar(first, last):
    """First and last name typed the other way round, one typo in each, still match (both ways)."""
    assert similar_names("Maria", "Garcia Lopez", first, last)
    assert similar_names(first, last, "Maria", "Garcia Lopez")


@pytest.mark.parametrize(
    ("first", "last", "swapped"),
    [
        ("Garcia Lopez", "Maria", True),
        ("Garcia Lopes", "Mraia", True),  # swapped, with a typo in each
        ("Maria", "Garcia Lopez", False),  # the same order
        ("Mario", "Garcia Lopez", False),  # a typo, not a swap
        ("Maria", "Garcia-Lopez", False),
        ("Garcia Lopez", "", False),
    ],
)
def test_names_swapped_says_when_first_and_last_name_are_the_other_way_round(first, last, swapped):
    """What the registration page points out beside a likely duplicate."""
    assert names_swapped(first, last, "Maria", "Garcia Lopez") is swapped


def test_a_name_the_same_either_way_round_is_not_called_swapped():
    assert names_swapped("Anna", "Anna", "Anna", "Anna") is False


def test_swapped_names_with_two_typos_in_one_part_are_not_similar():
    """The swap allows one typo per part, not two in the same part."""
    assert not similar_names("Maria", "Garcia Lopez", "Garcia Lopez", "Mrai")


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("Marta", "Gomez"),  # a different person
        ("Maria", "Garcia Perez"),  # a different second surname
        ("Mirna", "Garcia Lopez"),  # two letters different
        ("", ""),
    ],
)
def test_different_names_are_not_similar(first, last):
    assert not similar_names("Maria", "Garcia Lopez", first, last)


def test_person_name_is_the_full_name_else_the_username_else_what_the_page_says_for_nobody():
    """One helper names physicians, desks and the system alike; only "nobody" differs by page."""
    assert person_name(User(username="rortiz", first_name="Rosa", last_name="Ortiz")) == (
        "Rosa Ortiz"
    )
    assert person_name(User(username="rortiz")) == "rortiz"
    assert person_name(None) == ""
    assert person_name(None, nobody="the system") == "the system"


@pytest.mark.parametrize(
    ("first", "last", "username"),
    [("Rosa", "Ortiz", "rortiz"), ("", "", "rortiz"), ("Rosa", "", "rortiz"), ("", "Ortiz", "ro")],
)
def test_a_user_read_as_columns_is_named_as_the_user_object_is(first, last, username):
    """The CSV export reads users as columns; its cells name them as the pages do."""
    user = User(username=username, first_name=first, last_name=last)
    assert person_name_from_columns(first, last, username) == person_name(user)


def test_no_user_read_as_columns_is_an_empty_cell():
    assert person_name_from_columns(None, None, None) == ""
