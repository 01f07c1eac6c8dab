"""On PostgreSQL a trigger keeps answer entries as written: no delete, no change but the front
desk's confirmation of a patient's answer, once (the Python guard's rule, below Python)."""

from __future__ import annotations

import datetime

import pytest

from intake.models import AnswerEntry, EntrySource
from tests.factories import FrontDeskFactory, IntakeFactory
from tests.intake.changed_once import assert_changed_only_once

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2025, 3, 14, 9, 0, tzinfo=datetime.UTC)


@pytest.mark.postgres_only
def test_below_python_an_answer_entry_is_only_ever_confirmed_once(default_set):
    desk = FrontDeskFactory()
    entry = AnswerEntry.objects.create(
        intake=IntakeFactory(), question_code="pain_nrs", value=8, source=EntrySource.PATIENT, at=AT
    )
    assert_changed_only_once(
        pk=entry.pk,
        refused=(
            "DELETE FROM intake_answerentry WHERE id = %s",
            "UPDATE intake_answerentry SET value = '3' WHERE id = %s",
        ),
        instead="record a new entry instead",
        change="UPDATE intake_answerentry SET confirmed_at = now(), confirmed_by_id = %s "
        "WHERE id = %s",
        change_params=[desk.pk],
        change_again="UPDATE intake_answerentry SET confirmed_at = now() WHERE id = %s",
    )
    entry.refresh_from_db()
    assert (entry.value, entry.confirmed_by) == (8, desk)
