"""The migrations that moved procedure facts into the criteria data: an install's published set
and its screenings come through with the same codes, weeks and follow-ups they had, and every
old screening gets its reasons (on PostgreSQL, past the immutability triggers)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from screener import adapters

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("screener", "0005_criteria_job_heartbeat_and_totals"),
    ("intake", "0008_audit_user_protected"),
]
AFTER = [
    ("screener", "0006_procedure_facts_as_criteria"),
    ("intake", "0009_screening_reasons_and_technique"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def old_install(apps):
    """A published set of the old shape (CPT columns) and one screening under it."""
    Procedure = apps.get_model("screener", "Procedure")
    CriteriaSet = apps.get_model("screener", "CriteriaSet")
    Question = apps.get_model("screener", "Question")
    Parameter = apps.get_model("screener", "Parameter")
    Rule = apps.get_model("screener", "Rule")
    procedure = Procedure.objects.create(slug="spine-old", name="Old spine set")
    criteria_set = CriteriaSet.objects.create(
        procedure=procedure,
        procedure_name="Old spine set",
        version=1,
        status="draft",
        cpt_primary_thoracic="22510",
        cpt_primary_lumbar="22511",
        cpt_addon="22512",
    )
    for order, (code, kind, choices) in enumerate(
        [
            ("symptom_onset_date", "date", []),
            ("fracture_level", "choice", ["T11", "T12", "L1", "L2"]),
            ("levels_count", "int", []),
            ("pain_nrs", "int", []),
        ]
    ):
        Question.objects.create(
            criteria_set=criteria_set,
            order=order,
            code=code,
            section="S",
            prompt=f"Prompt of {code}",
            type=kind,
            choices=choices,
            requirement="always",
        )
    Parameter.objects.create(criteria_set=criteria_set, order=1, name="max_levels", value=2)
    Rule.objects.create(
        criteria_set=criteria_set,
        order=1,
        code="pw_recent",
        effect="pathway",
        condition="weeks_since_onset <= 6 and pain_nrs >= 5",
        message="Recent and painful.",
        source="S",
    )
    Rule.objects.create(
        criteria_set=criteria_set,
        order=2,
        code="ni_pain",
        effect="needs_info",
        condition="pain_nrs == 0",
        message="Check the pain score.",
        source="S",
    )
    CriteriaSet.objects.filter(pk=criteria_set.pk).update(
        status="published", published_at=timezone.now()
    )

    Patient = apps.get_model("intake", "Patient")
    Intake = apps.get_model("intake", "Intake")
    Screening = apps.get_model("intake", "Screening")
    patient = Patient.objects.create(
        mrn="M1", first_name="Ada", last_name="Lovelace", date_of_birth=datetime.date(1940, 1, 1)
    )
    intake = Intake.objects.create(patient=patient, procedure=procedure, criteria_set=criteria_set)
    Screening.objects.create(
        intake=intake,
        criteria_set=criteria_set,
        kind="submission",
        as_of=datetime.date(2025, 3, 14),
        answers={"pain_nrs": 0},
        outcome="needs_info",
        missing=["symptom_onset_date", "fracture_level", "levels_count"],
        rule_results=[
            {
                "code": "pw_recent",
                "effect": "pathway",
                "holds": False,
                "needs": [],
                "message": "Recent and painful.",
                "source": "S",
            },
            {
                "code": "ni_pain",
                "effect": "needs_info",
                "holds": True,
                "needs": [],
                "message": "Check the pain score.",
                "source": "S",
            },
        ],
    )
    return criteria_set.pk


def test_old_sets_and_screenings_come_through_the_migrations():
    try:
        set_id = old_install(migrate(BEFORE))
        migrate(AFTER)
    finally:
        migrate_to_latest()
    from intake.models import Screening
    from screener.models import CriteriaSet

    criteria_set = CriteriaSet.objects.get(pk=set_id)
    assert criteria_set.status == "published"
    rows = list(
        criteria_set.codingrow_set.values_list(
            "technique", "levels", "primary_code", "addon_code", "cap_parameter"
        )
    )
    assert rows == [
        ("spine_old", ["T11", "T12"], "22510", "22512", "max_levels"),
        ("spine_old", ["L1", "L2"], "22511", "22512", "max_levels"),
    ]
    assert list(criteria_set.followupvisit_set.values_list("days", "months")) == [
        (7, 0),
        (0, 1),
        (0, 3),
    ]
    weeks = criteria_set.derivedvalue_set.get(name="weeks_since_onset")
    assert weeks.weeks_since == "symptom_onset_date"

    # The set screens as the code used to: weeks from the onset, codes by level, capped.
    result, _ = adapters.screen_answers(
        criteria_set,
        {
            "symptom_onset_date": "2025-02-28",
            "fracture_level": "L1",
            "levels_count": 3,
            "pain_nrs": 7,
        },
        as_of=datetime.date(2025, 3, 14),
    )
    assert result.outcome == "candidate"
    assert result.derived["weeks_since_onset"] == 2.0
    assert result.suggested_codes == ("22511", "+22512")

    screening = Screening.objects.get(intake__criteria_set_id=set_id)
    assert screening.deciding == ["ni_pain"]
    assert screening.key_reason == "Missing: Prompt of symptom_onset_date (and 2 more)"


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
