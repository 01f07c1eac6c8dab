"""Records that never change are refused below Python too.

In Python (every database): a stored screening cannot be saved again, screenings and the
criteria change log cannot be bulk-updated or deleted. On PostgreSQL, triggers refuse the same
writes made behind the ORM's back: raw SQL through ``connection.cursor()`` and
``_base_manager.update()/delete()``, for published and retired criteria sets and their parts,
screenings, signed decisions, emergency actions, audit events and the change log; the allowed
paths (drafts, publishing, retiring, the planned date, a deleted draft's change log, the audit
chain head) still work. Each refused write runs inside ``transaction.atomic()`` so the failed
statement does not abort the test's transaction, and the row is read back unchanged.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import IntegrityError, connection, models, transaction

from intake.models import (
    AuditChainHead,
    AuditEvent,
    Decision,
    DecisionKind,
    EmergencyAction,
    EmergencyContact,
    ImmutableDecisionError,
    Screening,
)
from intake.services.audit import audit_record
from screener.models import (
    CodingRow,
    ContentBlock,
    CriteriaChange,
    CriteriaChangeAction,
    CriteriaSet,
    CriteriaSetStatus,
    DerivedValue,
    DiagnosisCode,
    FollowUpVisit,
    GoldenCase,
    ImmutableCriteriaError,
    Parameter,
    Procedure,
    Question,
    Rule,
)
from screener.services import (
    criteria_change_record,
    criteria_set_clone,
    criteria_set_delete,
    criteria_set_publish,
    criteria_set_retire,
)
from tests.factories import PhysicianFactory
from tests.intake.review.factories import submitted_intake

pytestmark = pytest.mark.django_db

SIGNED_AT = datetime.datetime(2025, 3, 14, 16, 0, tzinfo=datetime.UTC)
postgres_only = pytest.mark.postgres_only


def stored(model: type[models.Model], pk: int) -> dict[str, Any] | None:
    """The row as the database holds it (None once deleted)."""
    return model._base_manager.filter(pk=pk).values().first()


def sql(statement: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# ------------------------------------------------------------------------------------------
# Python guards (every database)


def test_a_stored_screening_is_never_saved_again_nor_deleted(default_set):
    """save() of a stored screening, and delete() of one, are refused; the row is unchanged."""
    screening = submitted_intake(outcome="candidate").latest_screening
    before = stored(Screening, screening.pk)
    screening.outcome = "urgent"
    with pytest.raises(ImmutableDecisionError, match="screen the intake again"):
        screening.save()
    with pytest.raises(ImmutableDecisionError, match="screen the intake again"):
        screening.delete()
    assert stored(Screening, screening.pk) == before


def test_screenings_are_never_bulk_updated_or_deleted(default_set):
    """Screening.objects.update() and .delete() are refused, on a filter or the whole table."""
    screening = submitted_intake(outcome="candidate").latest_screening
    before = stored(Screening, screening.pk)
    with pytest.raises(ImmutableDecisionError):
        Screening.objects.filter(pk=screening.pk).update(outcome="urgent")
    with pytest.raises(ImmutableDecisionError):
        Screening.objects.update(outcome="urgent")
    with pytest.raises(ImmutableDecisionError):
        Screening.objects.filter(pk=screening.pk).delete()
    with pytest.raises(ImmutableDecisionError):
        Screening.objects.all().delete()
    assert stored(Screening, screening.pk) == before


def test_the_criteria_change_log_is_never_updated_or_deleted_through_the_orm(default_set):
    """CriteriaChange: save() again, objects.update()/delete() and delete() are refused."""
    change = criteria_change_record(
        criteria_set=default_set, action=CriteriaChangeAction.EDITED, summary="Checked"
    )
    before = stored(CriteriaChange, change.pk)
    change.summary = "Rewritten"
    with pytest.raises(ImmutableCriteriaError):
        change.save()
    with pytest.raises(ImmutableCriteriaError):
        CriteriaChange.objects.filter(pk=change.pk).update(summary="Rewritten")
    with pytest.raises(ImmutableCriteriaError):
        CriteriaChange.objects.filter(pk=change.pk).delete()
    with pytest.raises(ImmutableCriteriaError):
        change.delete()
    assert stored(CriteriaChange, change.pk) == before


# ------------------------------------------------------------------------------------------
# Triggers (PostgreSQL): every protected table, UPDATE and DELETE, raw SQL and _base_manager


@dataclass(frozen=True)
class Protected:
    """A row the database must keep: how to make it, a column and value to try, and the start
    of the trigger's message."""

    make: Callable[[CriteriaSet], models.Model]
    column: str
    value: Any
    refusal: str


def _published_part(model: type[models.Model]) -> Callable[[CriteriaSet], models.Model]:
    return lambda published: model.objects.filter(criteria_set=published).first()


def _retired(published: CriteriaSet) -> CriteriaSet:
    return criteria_set_retire(
        criteria_set=published, now=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC)
    )


def _screening(published: CriteriaSet) -> Screening:
    return submitted_intake(outcome="candidate").latest_screening


def _decision(published: CriteriaSet) -> Decision:
    intake = submitted_intake(outcome="candidate")
    return Decision.objects.create(
        intake=intake,
        screening=intake.latest_screening,
        kind=DecisionKind.PROCEED,
        reason="Meets criteria.",
        physician=PhysicianFactory(),
        signed_at=SIGNED_AT,
    )


def _emergency_action(published: CriteriaSet) -> EmergencyAction:
    intake = submitted_intake(outcome="emergency")
    return EmergencyAction.objects.create(
        intake=intake,
        screening=intake.latest_screening,
        contacted=EmergencyContact.ONCALL,
        contacted_at=SIGNED_AT,
        note="Dr Hale on call: sent to the emergency department.",
        recorded_by=PhysicianFactory(),
        recorded_at=SIGNED_AT,
    )


def _audit_event(published: CriteriaSet) -> AuditEvent:
    return audit_record(action="view", username="someone", detail="opened the queue")


def _change(published: CriteriaSet) -> CriteriaChange:
    return criteria_change_record(
        criteria_set=published, action=CriteriaChangeAction.EDITED, summary="Checked"
    )


SET_REFUSAL = "criteria set vertebroplasty v1 is published"
PROTECTED = {
    "published set": Protected(lambda s: s, "notes", "rewritten", SET_REFUSAL),
    "retired set": Protected(
        _retired, "notes", "rewritten", "criteria set vertebroplasty v1 is retired"
    ),
    "question": Protected(_published_part(Question), "prompt", "rewritten", SET_REFUSAL),
    "parameter": Protected(_published_part(Parameter), "value", 99, SET_REFUSAL),
    "derived value": Protected(_published_part(DerivedValue), "expression", "1", SET_REFUSAL),
    "rule": Protected(_published_part(Rule), "condition", "true", SET_REFUSAL),
    "coding row": Protected(_published_part(CodingRow), "primary_code", "99999", SET_REFUSAL),
    "follow-up visit": Protected(_published_part(FollowUpVisit), "days", 99, SET_REFUSAL),
    "diagnosis code": Protected(_published_part(DiagnosisCode), "code", "Z99.9", SET_REFUSAL),
    "content block": Protected(_published_part(ContentBlock), "body", "rewritten", SET_REFUSAL),
    "golden case": Protected(
        _published_part(GoldenCase), "expected_outcome", "urgent", SET_REFUSAL
    ),
    "screening": Protected(_screening, "outcome", "urgent", "screening"),
    "decision": Protected(_decision, "kind", DecisionKind.NOT_CANDIDATE, "signed decision"),
    "emergency action": Protected(_emergency_action, "note", "rewritten", "emergency action"),
    "audit event": Protected(_audit_event, "detail", "rewritten", "audit event"),
    "change log": Protected(_change, "summary", "rewritten", "the criteria change log"),
}
CASES = pytest.mark.parametrize("case", list(PROTECTED), ids=list(PROTECTED))


def _row(case: str, published: CriteriaSet) -> tuple[type[models.Model], models.Model]:
    row = PROTECTED[case].make(published)
    assert row is not None and row.pk is not None
    return type(row), row


@postgres_only
@CASES
def test_raw_sql_cannot_update_a_protected_row(default_set, case):
    """UPDATE through connection.cursor() is refused by the trigger; the row is unchanged."""
    model, row = _row(case, default_set)
    protected = PROTECTED[case]
    column = model._meta.get_field(protected.column).column
    before = stored(model, row.pk)
    with pytest.raises(IntegrityError, match=protected.refusal), transaction.atomic():
        sql(f"UPDATE {table(model)} SET {column} = %s WHERE id = %s", [protected.value, row.pk])
    assert stored(model, row.pk) == before


@postgres_only
@CASES
def test_raw_sql_cannot_delete_a_protected_row(default_set, case):
    """DELETE through connection.cursor() is refused by the trigger; the row is still there."""
    model, row = _row(case, default_set)
    before = stored(model, row.pk)
    with pytest.raises(IntegrityError, match=PROTECTED[case].refusal), transaction.atomic():
        sql(f"DELETE FROM {table(model)} WHERE id = %s", [row.pk])
    assert stored(model, row.pk) == before


@postgres_only
@CASES
def test_the_base_manager_cannot_update_a_protected_row(default_set, case):
    """_base_manager.update() skips every Python guard; the trigger refuses it."""
    model, row = _row(case, default_set)
    protected = PROTECTED[case]
    before = stored(model, row.pk)
    with pytest.raises(IntegrityError, match=protected.refusal), transaction.atomic():
        model._base_manager.filter(pk=row.pk).update(**{protected.column: protected.value})
    assert stored(model, row.pk) == before


@postgres_only
@CASES
def test_the_base_manager_cannot_delete_a_protected_row(default_set, case):
    """_base_manager.delete() skips every Python guard; the trigger refuses it."""
    model, row = _row(case, default_set)
    before = stored(model, row.pk)
    with pytest.raises(IntegrityError, match=PROTECTED[case].refusal), transaction.atomic():
        model._base_manager.filter(pk=row.pk).delete()
    assert stored(model, row.pk) == before


@postgres_only
def test_the_refusal_names_the_set_and_says_what_to_do(default_set):
    """The message a criteria admin (or a developer) reads says which set, why, and what next."""
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        sql(f"UPDATE {table(CriteriaSet)} SET notes = 'x' WHERE id = %s", [default_set.pk])
    assert str(refused.value).splitlines()[0] == (
        "criteria set vertebroplasty v1 is published: it cannot be changed; clone it as a new draft"
    )


# -- parts: no new part in a published set, no part moved in or out of one ----------------


@postgres_only
@pytest.mark.parametrize(
    "model",
    [
        Question,
        Parameter,
        DerivedValue,
        Rule,
        CodingRow,
        DiagnosisCode,
        FollowUpVisit,
        ContentBlock,
        GoldenCase,
    ],
)
def test_no_part_is_added_to_a_published_set_nor_moved_in_or_out(default_set, model):
    """INSERT into a published set, and moving a part between it and a draft, are refused."""
    draft = criteria_set_clone(criteria_set=default_set)
    in_draft = model.objects.filter(criteria_set=draft).first()
    published_part = model.objects.filter(criteria_set=default_set).first()
    count = model._base_manager.filter(criteria_set=default_set).count()
    copy = model.objects.get(pk=in_draft.pk)
    copy.pk = None
    copy.criteria_set_id = default_set.pk
    with pytest.raises(IntegrityError, match=SET_REFUSAL), transaction.atomic():
        model._base_manager.bulk_create([copy])
    column = table(model)
    with pytest.raises(IntegrityError, match=SET_REFUSAL), transaction.atomic():
        sql(
            f"UPDATE {column} SET criteria_set_id = %s WHERE id = %s", [default_set.pk, in_draft.pk]
        )
    with pytest.raises(IntegrityError, match=SET_REFUSAL), transaction.atomic():
        sql(
            f"UPDATE {column} SET criteria_set_id = %s WHERE id = %s", [draft.pk, published_part.pk]
        )
    assert model._base_manager.filter(criteria_set=default_set).count() == count
    assert stored(model, in_draft.pk)["criteria_set_id"] == draft.pk


# -- what stays allowed --------------------------------------------------------------------


@postgres_only
def test_a_draft_and_its_parts_stay_editable_and_deletable_below_python(default_set):
    """Raw SQL may edit a draft and its parts, and delete them; the change log of a deleted
    draft keeps its rows, only unlinked from the set (on_delete=SET_NULL)."""
    draft = criteria_set_clone(criteria_set=default_set)
    rule = Rule.objects.filter(criteria_set=draft).first()
    assert sql(f"UPDATE {table(CriteriaSet)} SET notes = 'x' WHERE id = %s", [draft.pk]) == 1
    assert sql(f"UPDATE {table(Rule)} SET source = 'y' WHERE id = %s", [rule.pk]) == 1
    assert sql(f"DELETE FROM {table(Rule)} WHERE id = %s", [rule.pk]) == 1
    log = list(CriteriaChange.objects.filter(criteria_set=draft).values())
    assert [row["action"] for row in log] == [CriteriaChangeAction.CLONED]

    criteria_set_delete(criteria_set=draft)

    assert not CriteriaSet.objects.filter(pk=draft.pk).exists()
    kept = {
        row["id"]: row
        for row in CriteriaChange.objects.filter(set_label="vertebroplasty v2").values()
    }
    assert kept[log[0]["id"]] == log[0] | {"criteria_set_id": None}
    assert [row["action"] for row in kept.values()] == ["deleted", "cloned"]


@postgres_only
def test_a_published_sets_change_log_is_never_unlinked(default_set):
    """Only a deleted draft's change log loses its link: a published set's is refused."""
    change = _change(default_set)
    with pytest.raises(IntegrityError, match="change log is append-only"), transaction.atomic():
        CriteriaChange._base_manager.filter(pk=change.pk).update(criteria_set=None)
    assert stored(CriteriaChange, change.pk)["criteria_set_id"] == default_set.pk


@postgres_only
def test_a_draft_is_published_then_retired_and_nothing_else_below_python(default_set):
    """Publishing a draft and published -> retired (status and retired_at only) pass; retired
    -> published, and retiring while changing anything else, are refused."""
    draft = criteria_set_clone(criteria_set=default_set)
    published = criteria_set_publish(
        criteria_set=draft, now=datetime.datetime(2025, 5, 1, tzinfo=datetime.UTC)
    )
    assert published.status == CriteriaSetStatus.PUBLISHED
    with (
        pytest.raises(IntegrityError, match="vertebroplasty v2 is published"),
        transaction.atomic(),
    ):
        sql(
            f"UPDATE {table(CriteriaSet)} SET status = 'retired', retired_at = now(), "
            "notes = 'and a new note' WHERE id = %s",
            [published.pk],
        )
    assert (
        sql(
            f"UPDATE {table(CriteriaSet)} SET status = 'retired', retired_at = %s WHERE id = %s",
            [datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC), published.pk],
        )
        == 1
    )
    with pytest.raises(IntegrityError, match="vertebroplasty v2 is retired"), transaction.atomic():
        sql(f"UPDATE {table(CriteriaSet)} SET status = 'published' WHERE id = %s", [published.pk])
    assert stored(CriteriaSet, published.pk)["status"] == CriteriaSetStatus.RETIRED


@postgres_only
def test_a_save_that_changes_nothing_is_not_a_change(default_set):
    """Re-saving a published set unchanged (as loaddata of the same fixture does) passes."""
    before = stored(CriteriaSet, default_set.pk)
    assert (
        sql(f"UPDATE {table(CriteriaSet)} SET notes = notes WHERE id = %s", [default_set.pk]) == 1
    )
    assert stored(CriteriaSet, default_set.pk) == before


@postgres_only
def test_only_the_planned_date_of_a_decision_changes_below_python(default_set):
    """The scheduling fields stay updatable (review_plan_follow_up); nothing signed is."""
    decision = _decision(default_set)
    planner = PhysicianFactory()
    assert (
        Decision._base_manager.filter(pk=decision.pk).update(
            planned_procedure_date=datetime.date(2025, 4, 1),
            planned_date_set_by=planner,
            planned_date_set_at=SIGNED_AT,
        )
        == 1
    )
    with pytest.raises(IntegrityError, match="signed decision"), transaction.atomic():
        Decision._base_manager.filter(pk=decision.pk).update(
            planned_procedure_date=datetime.date(2025, 4, 8), reason="moved and re-reasoned"
        )
    row = stored(Decision, decision.pk)
    assert (row["planned_procedure_date"], row["planned_date_set_by_id"], row["reason"]) == (
        datetime.date(2025, 4, 1),
        planner.pk,
        "Meets criteria.",
    )


@postgres_only
def test_the_audit_chain_head_moves_on_while_events_stay(default_set):
    """Every new event updates the chain head; the events themselves are never touched."""
    first = _audit_event(default_set)
    second = _audit_event(default_set)
    assert AuditChainHead.objects.get().last_hash == second.hash
    assert sql(f"UPDATE {table(AuditChainHead)} SET last_hash = last_hash", []) == 1
    assert stored(AuditEvent, first.pk)["hash"] == second.previous_hash


@postgres_only
def test_a_published_procedures_slug_is_frozen_below_python(default_set):
    """Raw SQL cannot change the slug of a procedure with a published version; its name may
    change (the sets keep theirs) and a procedure with drafts only may take a new slug."""
    procedure = default_set.procedure
    with (
        pytest.raises(IntegrityError, match="vertebroplasty has a published version"),
        transaction.atomic(),
    ):
        sql(f"UPDATE {table(Procedure)} SET slug = 'pvp' WHERE id = %s", [procedure.pk])
    assert sql(f"UPDATE {table(Procedure)} SET name = 'PVP' WHERE id = %s", [procedure.pk]) == 1
    assert stored(CriteriaSet, default_set.pk)["procedure_name"] == "Percutaneous vertebroplasty"
    new = Procedure.objects.create(slug="kyphoplasty", name="Kyphoplasty")
    CriteriaSet.objects.create(procedure=new, version=1)
    assert sql(f"UPDATE {table(Procedure)} SET slug = 'kypho' WHERE id = %s", [new.pk]) == 1
