"""On PostgreSQL a trigger keeps answer entries as written: no delete, no change but the front
desk's confirmation of a patient's answer, once (the Python guard's rule, below Python)."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from intake.models import AnswerEntry, EntrySource
from tests.factories import FrontDeskFactory, IntakeFactory

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2025, 3, 14, 9, 0, tzinfo=datetime.UTC)


@pytest.mark.postgres_only
def test_below_python_an_answer_entry_is_only_ever_confirmed_once(default_set):
    desk = FrontDeskFactory()
    entry = AnswerEntry.objects.create(
        intake=IntakeFactory(), question_code="pain_nrs", value=8, source=EntrySource.PATIENT, at=AT
    )
    refusals = (
        "DELETE FROM intake_answerentry WHERE id = %s",
        "UPDATE intake_answerentry SET value = '3' WHERE id = %s",
    )
    for statement in refusals:
        with (
            pytest.raises(IntegrityError, match=r"cannot be \w+; record a new entry instead"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE intake_answerentry SET confirmed_at = now(), confirmed_by_id = %s "
            "WHERE id = %s",
            [desk.pk, entry.pk],
        )
    with (
        pytest.raises(IntegrityError, match="cannot be changed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE intake_answerentry SET confirmed_at = now() WHERE id = %s", [entry.pk]
        )
    entry.refresh_from_db()
    assert (entry.value, entry.confirmed_by) == (8, desk)
