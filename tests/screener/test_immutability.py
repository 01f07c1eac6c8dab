"""A published (or retired) criteria set never changes; a draft can."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError

from screener.models import (
    ContentBlock,
    CriteriaSet,
    CriteriaSetStatus,
    ImmutableCriteriaError,
    Parameter,
    Procedure,
    Question,
    Rule,
)
from screener.services import criteria_set_clone, criteria_set_retire
from tests.criteria_data import FIXTURE

pytestmark = pytest.mark.django_db


def test_published_set_fields_cannot_change(default_set):
    default_set.codes_note = "final"
    with pytest.raises(ImmutableCriteriaError, match="vertebroplasty v1 is published"):
        default_set.save()
    default_set.refresh_from_db()
    assert default_set.codes_note == "provisional until the physician confirms the levels"


def test_published_set_cannot_go_back_to_draft(default_set):
    default_set.status = CriteriaSetStatus.DRAFT
    with pytest.raises(ImmutableCriteriaError):
        default_set.save()


def test_published_set_cannot_be_deleted(default_set):
    with pytest.raises(ImmutableCriteriaError, match="cannot be deleted"):
        default_set.delete()
    with pytest.raises(ImmutableCriteriaError):
        CriteriaSet.objects.filter(pk=default_set.pk).delete()
    assert CriteriaSet.objects.filter(pk=default_set.pk).exists()


def test_published_set_cannot_change_through_queryset_update(default_set):
    with pytest.raises(ImmutableCriteriaError):
        CriteriaSet.objects.filter(pk=default_set.pk).update(notes="changed")
    default_set.refresh_from_db()
    assert default_set.notes.startswith("Revision 2 of the default set")


def test_procedure_with_sets_cannot_be_deleted(default_set):
    with pytest.raises(ProtectedError):
        Procedure.objects.filter(pk=default_set.procedure_id).delete()


@pytest.mark.parametrize(
    ("model", "lookup", "field", "value"),
    [
        (Parameter, {"name": "nrs_outpatient_min"}, "value", 7),
        (Question, {"code": "pain_nrs"}, "prompt", "Pain?"),
        (Rule, {"code": "rf_minor"}, "condition", "age_years < 16"),
        (ContentBlock, {"kind": "preparation"}, "body", "Nothing."),
    ],
)
def test_parts_of_a_published_set_cannot_change(default_set, model, lookup, field, value):
    item = model.objects.get(criteria_set=default_set, **lookup)
    original = getattr(item, field)
    setattr(item, field, value)
    with pytest.raises(ImmutableCriteriaError, match="vertebroplasty v1 is published"):
        item.save()
    with pytest.raises(ImmutableCriteriaError):
        model.objects.filter(pk=item.pk).update(**{field: value})
    with pytest.raises(ImmutableCriteriaError):
        item.delete()
    with pytest.raises(ImmutableCriteriaError):
        model.objects.filter(criteria_set=default_set).delete()
    item.refresh_from_db()
    assert getattr(item, field) == original


def test_no_part_can_be_added_to_a_published_set(default_set):
    with pytest.raises(ImmutableCriteriaError):
        Parameter.objects.create(criteria_set=default_set, name="extra", value=1)
    with pytest.raises(ImmutableCriteriaError):
        Parameter.objects.bulk_create([Parameter(criteria_set=default_set, name="x", value=1)])
    assert not Parameter.objects.filter(criteria_set=default_set, name__in=["extra", "x"]).exists()


def test_a_part_cannot_be_moved_out_of_a_published_set(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    item = Parameter.objects.get(criteria_set=default_set, name="max_levels")
    item.criteria_set = draft
    with pytest.raises(ImmutableCriteriaError):
        item.save()


def test_loaddata_cannot_change_a_published_set(default_set, tmp_path):
    """loaddata bypasses save(); the raw-save guard still refuses the change."""
    records = json.loads(FIXTURE.read_text())
    for record in records:
        if record["model"] == "screener.parameter" and record["fields"]["name"] == "max_levels":
            record["fields"]["value"] = "5"
    changed = [r for r in records if r["model"] != "screener.criteriaset"]
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed))
    with pytest.raises((ImmutableCriteriaError, CommandError)):
        call_command("loaddata", str(path), verbosity=0)
    assert Parameter.objects.get(criteria_set=default_set, name="max_levels").value == 3


def test_reloading_the_fixture_over_the_published_set_is_refused(default_set):
    with pytest.raises((ImmutableCriteriaError, CommandError)):
        call_command("loaddata", "vertebroplasty", verbosity=0)
    assert CriteriaSet.objects.get(pk=default_set.pk).status == CriteriaSetStatus.PUBLISHED


def test_a_draft_can_be_changed_and_deleted(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    parameter = Parameter.objects.get(criteria_set=draft, name="nrs_outpatient_min")
    parameter.value = 7
    parameter.save()
    Rule.objects.filter(criteria_set=draft, code="rf_minor").update(condition="age_years < 16")
    Question.objects.filter(criteria_set=draft, code="mri_contraindicated").delete()
    draft.notes = "Raise the outpatient pain threshold."
    draft.save()
    assert Parameter.objects.get(criteria_set=draft, name="nrs_outpatient_min").value == 7
    assert Parameter.objects.get(criteria_set=default_set, name="nrs_outpatient_min").value == 5
    draft.delete()
    assert not CriteriaSet.objects.filter(pk=draft.pk).exists()
    assert not Parameter.objects.filter(criteria_set_id=draft.pk).exists()


def test_retiring_is_the_one_change_a_published_set_allows(default_set):
    retired = criteria_set_retire(criteria_set=default_set)
    assert retired.status == CriteriaSetStatus.RETIRED
    retired.status = CriteriaSetStatus.PUBLISHED
    with pytest.raises(ImmutableCriteriaError, match="is retired"):
        retired.save()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("notes", "Retired, and the notes rewritten."),
        ("coding_level_question", "pain_nrs"),
        ("coding_count_question", "pain_nrs"),
        ("codes_note", "final"),
        ("version", 99),
        ("published_at", datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)),
    ],
)
def test_retiring_refuses_a_change_to_any_other_field_in_the_same_save(default_set, field, value):
    """Published -> retired may not carry another field's change with it; nothing is stored."""
    before = CriteriaSet.objects.filter(pk=default_set.pk).values().get()
    default_set.status = CriteriaSetStatus.RETIRED
    default_set.retired_at = datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC)
    setattr(default_set, field, value)
    with pytest.raises(ImmutableCriteriaError, match="vertebroplasty v1 is published"):
        default_set.save()
    assert CriteriaSet.objects.filter(pk=default_set.pk).values().get() == before


def test_retiring_alone_is_saved(default_set):
    """Changing only the status to retired and the retirement time is allowed."""
    before = CriteriaSet.objects.filter(pk=default_set.pk).values().get()
    retired_at = datetime.datetime(2025, 6, 2, 9, 0, tzinfo=datetime.UTC)
    default_set.status = CriteriaSetStatus.RETIRED
    default_set.retired_at = retired_at
    default_set.save()
    after = CriteriaSet.objects.filter(pk=default_set.pk).values().get()
    assert after == {**before, "status": CriteriaSetStatus.RETIRED, "retired_at": retired_at}
