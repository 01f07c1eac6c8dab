"""The procedure's name and slug are versioned data.

Each criteria set keeps the procedure's name it was made with (``procedure_name``: taken from
the procedure at creation, clone and import, editable only in a draft, exported and imported
with the set), and the pages of an intake print the name of the version it was screened
under. Renaming a procedure in admin changes no published version, reaches drafts still showing
the old name and every later clone, and is recorded in the change log; the slug is read-only
once a version has been published.
"""

from __future__ import annotations

import html
import json

import pytest
from django.urls import reverse

from intake.models import DecisionKind
from intake.services import reviews
from screener.models import (
    CriteriaChange,
    CriteriaChangeAction,
    CriteriaSet,
    ImmutableCriteriaError,
    Procedure,
)
from screener.services import (
    criteria_set_clone,
    criteria_set_import,
    criteria_set_publish,
    procedure_save,
)
from screener.transfer import criteria_set_data
from tests.factories import FrontDeskFactory, PhysicianFactory
from tests.intake.review.factories import submitted_intake
from tests.screener.test_admin import change_form_data, set_page, url

pytestmark = pytest.mark.django_db

OLD = "Percutaneous vertebroplasty"
NEW = "Vertebroplasty (PVP)"


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def rename(procedure: Procedure, name: str, user=None) -> Procedure:
    procedure.name = name
    return procedure_save(procedure=procedure, user=user)


# ------------------------------------------------------------------------------------------
# The snapshot on each set


def test_a_new_set_names_its_procedure_as_it_is_named_today(default_set):
    """A set made without a name takes the procedure's; the default set names it too."""
    procedure = Procedure.objects.create(slug="kyphoplasty", name="Balloon kyphoplasty")
    created = CriteriaSet.objects.create(procedure=procedure, version=1)
    assert created.procedure_name == "Balloon kyphoplasty"
    assert default_set.procedure_name == OLD


def test_a_clone_takes_the_procedures_current_name_and_logs_the_difference(default_set, cadmin):
    """A rename since the source version reaches the clone, with a line in its log."""
    rename(default_set.procedure, NEW)
    draft = criteria_set_clone(criteria_set=default_set, user=cadmin)
    assert (draft.procedure_name, CriteriaSet.objects.get(pk=default_set.pk).procedure_name) == (
        NEW,
        OLD,
    )
    change = CriteriaChange.objects.get(criteria_set=draft)
    assert (change.action, change.details) == (
        CriteriaChangeAction.CLONED,
        [f"Set procedure_name: {OLD} -> {NEW}"],
    )


def test_the_name_travels_with_an_exported_set(default_set, cadmin):
    """Export writes the set's name; import keeps it, even once the procedure is renamed."""
    data = criteria_set_data(default_set)
    assert data["criteria_set"]["procedure_name"] == OLD
    rename(default_set.procedure, NEW)
    imported = criteria_set_import(data=json.loads(json.dumps(data)), user=cadmin)
    assert (imported.version, imported.procedure_name) == (2, OLD)


def test_a_file_from_before_the_snapshot_takes_its_procedures_name(default_set, cadmin):
    """An older file, without procedure_name, names the set after the file's procedure."""
    data = json.loads(json.dumps(criteria_set_data(default_set)))
    del data["criteria_set"]["procedure_name"]
    data["procedure"]["name"] = "Vertebroplasty, as the file named it"
    imported = criteria_set_import(data=data, user=cadmin)
    assert imported.procedure_name == "Vertebroplasty, as the file named it"


# ------------------------------------------------------------------------------------------
# Renaming a procedure


def test_a_rename_in_admin_changes_no_published_version_and_is_logged(
    client_admin, cadmin, default_set
):
    """Who, when, old -> new in the change log; the published set keeps its name."""
    procedure = default_set.procedure
    response = client_admin.post(
        url("procedure_change", procedure.pk),
        {"name": NEW, "slug": "pvp", "description": procedure.description},
    )
    assert response.status_code == 302
    procedure.refresh_from_db()
    assert (procedure.name, procedure.slug) == (NEW, "vertebroplasty")  # the slug is read-only
    assert CriteriaSet.objects.get(pk=default_set.pk).procedure_name == OLD
    change = CriteriaChange.objects.get(action=CriteriaChangeAction.PROCEDURE_CHANGED)
    assert (
        change.criteria_set,
        change.set_label,
        change.user,
        change.summary,
        change.details,
    ) == (
        None,
        "vertebroplasty (procedure)",
        cadmin,
        f"Procedure name: {OLD!r} -> {NEW!r}",
        [f"Procedure name: {OLD!r} -> {NEW!r}"],
    )


def test_saving_a_procedure_unchanged_logs_nothing(default_set, cadmin):
    procedure_save(procedure=default_set.procedure, user=cadmin)
    assert not CriteriaChange.objects.filter(action=CriteriaChangeAction.PROCEDURE_CHANGED)


def test_a_rename_reaches_drafts_still_showing_the_old_name(default_set, cadmin):
    """A draft showing the old name takes the new one (logged in its own log); a draft given
    its own name keeps it."""
    following = criteria_set_clone(criteria_set=default_set)
    own = criteria_set_clone(criteria_set=default_set)
    own.procedure_name = "PVP (trial wording)"
    own.save()
    rename(default_set.procedure, NEW, user=cadmin)
    names = dict(CriteriaSet.objects.values_list("version", "procedure_name"))
    assert names == {1: OLD, 2: NEW, 3: "PVP (trial wording)"}
    edit = CriteriaChange.objects.get(criteria_set=following, action=CriteriaChangeAction.EDITED)
    assert (edit.summary, edit.user) == (
        f"Set procedure_name: {OLD} -> {NEW} (procedure renamed)",
        cadmin,
    )
    assert not CriteriaChange.objects.filter(criteria_set=own, action=CriteriaChangeAction.EDITED)


def test_the_slug_is_read_only_once_a_version_is_published(client_admin, default_set):
    """Admin shows it read-only; a save with a new slug is refused below admin too."""
    procedure = default_set.procedure
    assert 'name="slug"' not in page(client_admin, url("procedure_change", procedure.pk))
    procedure.slug = "pvp"
    with pytest.raises(ImmutableCriteriaError, match="vertebroplasty has a published version"):
        procedure.save()
    assert Procedure.objects.get(pk=procedure.pk).slug == "vertebroplasty"


def test_a_procedure_with_drafts_only_can_take_a_new_slug(client_admin, default_set):
    procedure = Procedure.objects.create(slug="kypho", name="Kyphoplasty")
    CriteriaSet.objects.create(procedure=procedure, version=1)
    assert 'name="slug"' in page(client_admin, url("procedure_change", procedure.pk))
    response = client_admin.post(
        url("procedure_change", procedure.pk), {"name": "Kyphoplasty", "slug": "kyphoplasty"}
    )
    assert response.status_code == 302
    assert Procedure.objects.get(pk=procedure.pk).slug == "kyphoplasty"
    change = CriteriaChange.objects.get(action=CriteriaChangeAction.PROCEDURE_CHANGED)
    assert change.details == ["Procedure slug: 'kypho' -> 'kyphoplasty'"]


def test_a_drafts_name_is_edited_in_admin_and_logged(client_admin, cadmin, default_set):
    """The set's page edits a draft's name (logged); a published set's is read-only."""
    draft = criteria_set_clone(criteria_set=default_set)
    data = change_form_data(client_admin, set_page(draft, "parameters"))
    assert data["procedure_name"] == OLD
    response = client_admin.post(set_page(draft, "parameters"), data | {"procedure_name": NEW})
    assert response.status_code == 302
    assert CriteriaSet.objects.get(pk=draft.pk).procedure_name == NEW
    edit = CriteriaChange.objects.get(criteria_set=draft, action=CriteriaChangeAction.EDITED)
    assert (edit.details, edit.user) == ([f"Set procedure_name: {OLD} -> {NEW}"], cadmin)
    published = page(client_admin, url("criteriaset_change", default_set.pk))
    assert OLD in published and 'name="procedure_name"' not in published


# ------------------------------------------------------------------------------------------
# The pages of an intake print the name of the version it was screened under


def test_an_intakes_pages_keep_the_name_of_its_version_after_a_rename(client, roles, default_set):
    """Result page, its printout, the case view and the handout: the set's name, not the
    procedure's new one; an intake screened under a later version shows the new name."""
    intake = submitted_intake(outcome="candidate")
    doc = PhysicianFactory()
    reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.PROCEED,
        physician=doc,
    )
    rename(default_set.procedure, NEW)

    client.force_login(FrontDeskFactory())
    result = page(client, reverse("intake:intake-detail", args=[intake.pk]))
    assert f"{OLD}: screening result" in result
    assert f"{OLD}: screening summary" in result
    assert NEW not in result
    client.force_login(doc)
    case = page(client, reverse("review:case", args=[intake.pk]))
    assert f"· {OLD} ·" in case and f"{OLD}: screening summary" in case
    assert NEW not in case
    handout = page(client, reverse("intake:intake-handout", args=[intake.pk]))
    assert f"Your {OLD.lower()}: instructions" in handout
    assert NEW.lower() not in handout

    newer = criteria_set_publish(criteria_set=criteria_set_clone(criteria_set=default_set))
    later = submitted_intake(outcome="candidate", criteria_set=newer)
    client.force_login(FrontDeskFactory())
    result = page(client, reverse("intake:intake-detail", args=[later.pk]))
    assert f"{NEW}: screening result" in result and f"{OLD}: screening" not in result
