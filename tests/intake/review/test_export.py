"""The queue's CSV export never hands a spreadsheet a formula: a cell that starts with
= + - @, a tab or a carriage return gets a leading apostrophe."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from intake.selectors import exports as export_selectors
from tests.factories import PatientFactory, PhysicianFactory
from tests.intake.review.exports import exported
from tests.intake.review.factories import submitted_intake

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)

# What spreadsheets (Excel, LibreOffice, Google Sheets) read as the start of a formula.
LEADING = ["=", "+", "-", "@", "\t", "\r"]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def doc(client):
    user = PhysicianFactory(first_name="Ada", last_name="Lovelace")
    client.force_login(user)
    return user


def _exported(client) -> list[list[str]]:
    return exported(client)


@pytest.mark.parametrize("lead", LEADING, ids=repr)
def test_export_escapes_a_leading_formula_character_in_name_and_mrn(
    client, doc, default_set, frozen, lead
):
    """The physician's export prefixes an apostrophe to an MRN and a name that start a formula."""
    submitted_intake(
        submitted_at=NOW - datetime.timedelta(hours=2),
        patient=PatientFactory(mrn=f"{lead}MRN1", last_name=f"{lead}Smith", first_name="Ann"),
    )
    rows = _exported(client)
    assert len(rows) == 2
    assert rows[1][1:3] == [f"'{lead}MRN1", f"'{lead}Smith, Ann"]


def test_export_leaves_cells_that_only_contain_formula_characters_unchanged(
    client, doc, default_set, frozen
):
    """Only a cell's first character counts: a formula character later on is left alone."""
    submitted_intake(
        submitted_at=NOW - datetime.timedelta(hours=2),
        patient=PatientFactory(mrn="MRN-1=2", last_name="O'Neil-Smith", first_name="=Ann"),
    )
    rows = _exported(client)
    assert rows[1][1:3] == ["MRN-1=2", "O'Neil-Smith, =Ann"]


def test_export_escapes_every_formula_character_in_one_file(client, doc, default_set, frozen):
    """Six patients, one per leading character, each come back escaped in the same export."""
    for hours, lead in enumerate(LEADING, start=1):
        submitted_intake(
            submitted_at=NOW - datetime.timedelta(hours=hours),
            patient=PatientFactory(mrn=f"{lead}{hours}", last_name=f"{lead}Doe", first_name="Jo"),
        )
    rows = _exported(client)
    # Same outcome, so the queue order is oldest submission first.
    assert [row[1:3] for row in rows[1:]] == [
        [f"'{lead}{hours}", f"'{lead}Doe, Jo"]
        for hours, lead in reversed(list(enumerate(LEADING, start=1)))
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+33 1 23", "'+33 1 23"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        (-3, "'-3"),
        ("Smith", "Smith"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
    ids=repr,
)
def test_cell_escapes_only_a_leading_formula_character(value, expected):
    """The export's cell text: an apostrophe before = + - @ tab CR at the start, else as is."""
    assert export_selectors.csv_cell(value) == expected
