"""Migration screener 0007: a published set's "filled by the app" number question becomes one
filled with the age, so the set screens exactly as before (on PostgreSQL, past the immutability
triggers, which stay on afterwards)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from screener import adapters
from tests.test_migration_facts import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("screener", "0006_procedure_facts_as_criteria")]
AFTER = [("screener", "0007_question_filled_from_patient_fact")]


def published_set_with_derived_questions(apps) -> int:
    Procedure = apps.get_model("screener", "Procedure")
    CriteriaSet = apps.get_model("screener", "CriteriaSet")
    Question = apps.get_model("screener", "Question")
    Rule = apps.get_model("screener", "Rule")
    procedure = Procedure.objects.create(slug="old-ages", name="Old ages")
    criteria_set = CriteriaSet.objects.create(
        procedure=procedure, procedure_name="Old ages", version=1, status="draft"
    )
    for order, (code, kind, derived) in enumerate(
        [("age", "int", True), ("note", "bool", True), ("pain", "int", False)]
    ):
        Question.objects.create(
            criteria_set=criteria_set,
            order=order,
            code=code,
            section="S",
            prompt=code,
            type=kind,
            requirement="always" if code != "note" else "optional",
            derived_by_app=derived,
        )
    Rule.objects.create(
        criteria_set=criteria_set,
        order=1,
        code="pw_adult",
        effect="pathway",
        condition="age >= 18 and pain >= 5",
        message="Adult in pain.",
        source="S",
    )
    CriteriaSet.objects.filter(pk=criteria_set.pk).update(
        status="published", published_at=timezone.now()
    )
    return criteria_set.pk


def test_a_published_sets_app_filled_number_question_is_filled_with_the_age():
    try:
        set_id = published_set_with_derived_questions(migrate(BEFORE))
        migrate(AFTER)
    finally:
        migrate_to_latest()
    from screener.models import CriteriaSet, ImmutableCriteriaError, Question

    criteria_set = CriteriaSet.objects.get(pk=set_id)
    assert criteria_set.status == "published"
    assert dict(criteria_set.question_set.values_list("code", "filled_from")) == {
        "age": "age",
        "note": "",  # never filled nor asked before; asked now
        "pain": "",
    }
    result, screened = adapters.screen_answers(
        criteria_set,
        {"pain": 7},
        as_of=datetime.date(2025, 3, 14),
        patient=adapters.PatientRecord(date_of_birth=datetime.date(1950, 1, 1)),
    )
    assert (str(result.outcome), screened["age"]) == ("candidate", 75)
    # The set is as immutable as before (on PostgreSQL the trigger is back on).
    with pytest.raises(ImmutableCriteriaError):
        Question.objects.filter(criteria_set=criteria_set).update(filled_from="")
    if connection.vendor == "postgresql":
        from django.db import DatabaseError, transaction

        with pytest.raises(DatabaseError), transaction.atomic():
            Question._base_manager.filter(criteria_set=criteria_set).update(filled_from="")
