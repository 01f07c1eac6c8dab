"""Intake services: start and pin, drafts, submit, double submit, stale saves, edit with reason."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from intake.models import (
    Decision,
    DecisionKind,
    Intake,
    IntakeStatus,
    Screening,
    ScreeningKind,
)
from intake.services import intakes as services
from screener.models import CriteriaSet, CriteriaSetStatus
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory, PhysicianFactory
from tests.intake.frontdesk_helpers import AS_OF, example_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return FrontDeskFactory()


@pytest.fixture
def draft(default_set):
    return IntakeFactory(patient=PatientFactory(date_of_birth=datetime.date(1946, 6, 1)))


def submit(intake, user, changes=None, **kwargs):
    intake.refresh_from_db()
    return services.intake_submit(
        intake_id=intake.pk,
        changes=changes or {},
        version=kwargs.pop("version", intake.version),
        user=user,
        as_of=kwargs.pop("as_of", AS_OF),
        **kwargs,
    )


# ------------------------------------------------------------------------------- start


def test_start_pins_the_newest_published_set(default_set, desk):
    newer = CriteriaSet.objects.create(
        procedure=default_set.procedure,
        version=2,
        status=CriteriaSetStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    intake, created = services.intake_start(
        patient=PatientFactory(), procedure=default_set.procedure, user=desk
    )
    assert created
    assert (intake.criteria_set, intake.status, intake.version) == (newer, "draft", 1)
    assert intake.created_by == desk


def test_starting_again_opens_the_draft_already_there(default_set, desk):
    patient = PatientFactory()
    first, _ = services.intake_start(patient=patient, procedure=default_set.procedure, user=desk)
    again, created = services.intake_start(
        patient=patient, procedure=default_set.procedure, user=desk
    )
    assert (again, created) == (first, False)
    assert Intake.objects.count() == 1


def test_start_without_a_published_set_is_refused(default_set, desk):
    from screener.models import Procedure

    other = Procedure.objects.create(slug="kyphoplasty", name="Kyphoplasty")
    with pytest.raises(services.IntakeRefused, match="no published criteria set"):
        services.intake_start(patient=PatientFactory(), procedure=other, user=desk)


# ------------------------------------------------------------------------------- drafts


def test_save_draft_merges_answers_clears_blanks_and_bumps_the_version(draft, desk):
    draft.answers = {"pain_nrs": 4, "hospitalized": True}
    draft.save()
    saved = services.intake_save_draft(
        intake_id=draft.pk,
        changes={"pain_nrs": 7.0, "hospitalized": None, "symptom_onset_date": "2025-02-28"},
        version=1,
        user=desk,
        as_of=AS_OF,
    )
    saved.refresh_from_db()
    assert saved.answers == {"pain_nrs": 7, "symptom_onset_date": "2025-02-28"}
    assert isinstance(saved.answers["pain_nrs"], int)
    assert (saved.version, saved.status) == (2, "draft")
    assert not Screening.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"pain_nrs": 11}, "pain_nrs", "11 is above the maximum 10"),
        ({"pain_nrs": "a lot"}, "pain_nrs", "expected a number, got 'a lot'"),
        ({"fracture_level": "T13"}, "fracture_level", "'T13' is not one of"),
        ({"symptom_onset_date": "2025-02-30"}, "symptom_onset_date", "is not a real date"),
        (
            {"symptom_onset_date": "2025-03-15"},
            "symptom_onset_date",
            "after the screening date 2025-03-14",
        ),
        ({"age_years": 40}, "age_years", "filled in by the app"),
        ({"shoe_size": 9}, "shoe_size", "not a question of this criteria set"),
    ],
)
def test_service_refuses_bad_values_and_saves_nothing(draft, desk, changes, field, message):
    with pytest.raises(ValidationError) as refused:
        services.intake_save_draft(
            intake_id=draft.pk, changes=changes, version=1, user=desk, as_of=AS_OF
        )
    assert message in refused.value.message_dict[field][0]
    draft.refresh_from_db()
    assert (draft.answers, draft.version) == ({}, 1)


def test_save_from_a_stale_version_is_refused(draft, desk):
    services.intake_save_draft(
        intake_id=draft.pk, changes={"pain_nrs": 5}, version=1, user=desk, as_of=AS_OF
    )
    with pytest.raises(services.StaleIntake) as refused:
        services.intake_save_draft(
            intake_id=draft.pk, changes={"pain_nrs": 8}, version=1, user=desk, as_of=AS_OF
        )
    assert refused.value.intake.version == 2
    draft.refresh_from_db()
    assert draft.answers == {"pain_nrs": 5}


# ------------------------------------------------------------------------------- submit


def test_submit_screens_stores_everything_and_sends_to_the_physician(draft, desk):
    answers = example_answers("ex-inpatient-candidate.json")
    screening = submit(draft, desk, answers)
    draft.refresh_from_db()
    assert draft.status == IntakeStatus.SUBMITTED
    assert (draft.submitted_by, draft.submitted_at is not None) == (desk, True)
    assert (draft.latest_screening, draft.outcome) == (screening, "candidate")
    assert screening.kind == ScreeningKind.SUBMISSION
    assert (screening.as_of, screening.created_by) == (AS_OF, desk)
    assert screening.criteria_set == draft.criteria_set
    assert screening.answers["age_years"] == 78
    assert screening.suggested_codes == ["22511"]
    assert len(screening.rule_results) == len(draft.criteria_set.rule_set.all())


def test_submit_with_missing_answers_is_allowed_and_needs_info(draft, desk):
    screening = submit(draft, desk, {"hospitalized": True})
    assert screening.outcome == "needs_info"
    assert screening.missing[:2] == ["xray_done", "mri_done"]


def test_second_submit_is_refused_and_makes_no_second_screening(draft, desk):
    version = draft.version
    submit(draft, desk, {"hospitalized": True}, version=version)
    with pytest.raises(services.AlreadySubmitted):
        submit(draft, desk, {"hospitalized": True}, version=version)
    with pytest.raises(services.AlreadySubmitted):
        services.intake_save_draft(
            intake_id=draft.pk, changes={}, version=version + 1, user=desk, as_of=AS_OF
        )
    assert Screening.objects.filter(intake=draft).count() == 1


def test_submit_from_a_stale_version_is_refused(draft, desk):
    services.intake_save_draft(
        intake_id=draft.pk, changes={"pain_nrs": 5}, version=1, user=desk, as_of=AS_OF
    )
    with pytest.raises(services.StaleIntake):
        submit(draft, desk, {"pain_nrs": 9}, version=1)
    draft.refresh_from_db()
    assert (draft.status, draft.answers) == ("draft", {"pain_nrs": 5})
    assert not Screening.objects.exists()


def _request_info(intake, note="Please add the MRI report."):
    intake.refresh_from_db()
    decision = Decision.objects.create(
        intake=intake,
        screening=intake.latest_screening,
        kind=DecisionKind.REQUEST_INFO,
        reason=note,
        physician=PhysicianFactory(),
        signed_at=timezone.now(),
    )
    Intake.objects.filter(pk=intake.pk).update(status=IntakeStatus.INFO_REQUESTED)
    return decision


def test_resubmitting_after_an_information_request_screens_again(draft, desk):
    first = submit(draft, desk, {"hospitalized": True})
    submitted_at = Intake.objects.get(pk=draft.pk).submitted_at
    _request_info(draft)
    draft.refresh_from_db()
    saved = services.intake_save_draft(
        intake_id=draft.pk,
        changes={"mri_done": True},
        version=draft.version,
        user=desk,
        as_of=AS_OF,
    )
    assert saved.status == IntakeStatus.INFO_REQUESTED  # saving does not resubmit
    second = submit(draft, desk, {"ct_done": False}, note="MRI report added.")
    draft.refresh_from_db()
    assert draft.status == IntakeStatus.SUBMITTED
    assert draft.submitted_at == submitted_at  # keeps its place: waiting since then
    assert (second.kind, second.reason) == (ScreeningKind.EDIT, "MRI report added.")
    assert second.answers["mri_done"] is True
    assert list(draft.screenings.order_by("id")) == [first, second]


def test_resubmission_without_a_note_gets_a_standard_reason(draft, desk):
    submit(draft, desk, {"hospitalized": True})
    _request_info(draft)
    second = submit(draft, desk, {"mri_done": True})
    assert second.reason == services.RESUBMIT_REASON


# ------------------------------------------------------------------------------- edit


def edit(intake, user, changes, reason="MRI report received.", **kwargs):
    intake.refresh_from_db()
    return services.intake_edit(
        intake_id=intake.pk,
        changes=changes,
        version=kwargs.pop("version", intake.version),
        reason=reason,
        user=user,
        as_of=kwargs.pop("as_of", AS_OF),
    )


def test_edit_with_reason_screens_again_and_keeps_history(draft, desk):
    answers = example_answers("ex-inpatient-candidate.json")
    answers.pop("pain_nrs")
    first = submit(draft, desk, answers)
    assert first.outcome == "needs_info"
    second = edit(draft, desk, {"pain_nrs": 9})
    draft.refresh_from_db()
    assert (second.kind, second.reason, second.outcome) == (
        "edit",
        "MRI report received.",
        "candidate",
    )
    assert list(draft.screenings.order_by("id")) == [first, second]
    first.refresh_from_db()
    assert first.outcome == "needs_info"  # the earlier screening is unchanged
    assert (draft.latest_screening, draft.outcome, draft.status) == (
        second,
        "candidate",
        "submitted",
    )


def test_edit_without_a_reason_is_refused(draft, desk):
    submit(draft, desk, {"hospitalized": True})
    with pytest.raises(ValidationError) as refused:
        edit(draft, desk, {"pain_nrs": 9}, reason="   ")
    assert refused.value.message_dict == {
        "reason": ["Give the reason for changing a submitted intake."]
    }
    assert draft.screenings.count() == 1


def test_editing_a_decided_intake_sends_it_back_and_keeps_the_decision(draft, desk):
    submit(draft, desk, {"hospitalized": True})
    draft.refresh_from_db()
    decision = Decision.objects.create(
        intake=draft,
        screening=draft.latest_screening,
        kind=DecisionKind.CONSERVATIVE,
        physician=PhysicianFactory(),
        signed_at=timezone.now(),
    )
    Intake.objects.filter(pk=draft.pk).update(status=IntakeStatus.DECIDED)
    edit(draft, desk, {"pain_nrs": 9})
    draft.refresh_from_db()
    assert draft.status == IntakeStatus.SUBMITTED
    assert list(draft.decisions.all()) == [decision]


def test_edit_of_a_draft_or_from_a_stale_version_is_refused(draft, desk):
    with pytest.raises(services.NotSubmitted):
        edit(draft, desk, {"pain_nrs": 9})
    submit(draft, desk, {"hospitalized": True})
    draft.refresh_from_db()
    stale = draft.version
    edit(draft, desk, {"pain_nrs": 9}, version=stale)
    with pytest.raises(services.StaleIntake):
        edit(draft, desk, {"pain_nrs": 3}, version=stale)
    assert draft.screenings.count() == 2


# ------------------------------------------------------------------------------- resends and conflicts


def save(intake, user, changes, *, version, rejected=()):
    return services.intake_save_draft(
        intake_id=intake.pk,
        changes=changes,
        version=version,
        user=user,
        as_of=AS_OF,
        rejected=rejected,
    )


def test_a_stale_save_that_resends_the_stored_answers_is_saved_not_refused(draft, desk):
    """A double click on Save: the second request, from the same form, is no conflict (the
    answers compare as stored: 6.0 is 6)."""
    save(draft, desk, {"hospitalized": True, "pain_nrs": 6}, version=1)
    again = save(draft, desk, {"hospitalized": True, "pain_nrs": 6.0}, version=1)
    again.refresh_from_db()
    assert (again.answers, again.version) == ({"hospitalized": True, "pain_nrs": 6}, 3)


def test_a_stale_save_with_an_answer_the_form_refused_is_a_conflict(draft, desk):
    """A refused answer was never stored, so such a post is not a resend."""
    save(draft, desk, {"hospitalized": True}, version=1)
    with pytest.raises(services.StaleIntake) as refused:
        save(draft, desk, {"hospitalized": True}, version=1, rejected=["pain_nrs"])
    assert refused.value.intake.version == 2
    draft.refresh_from_db()
    assert draft.version == 2


def test_a_stale_submit_that_resends_the_stored_answers_is_submitted(draft, desk):
    """Save, then Submit from the same page (its form still at the first version)."""
    save(draft, desk, {"hospitalized": True}, version=1)
    screening = submit(draft, desk, {"hospitalized": True}, version=1)
    draft.refresh_from_db()
    assert (draft.status, draft.latest_screening) == (IntakeStatus.SUBMITTED, screening)


@pytest.mark.parametrize("second", ["submit", "save"])
def test_sending_the_submitted_answers_again_is_a_resend_and_does_nothing(draft, desk, second):
    """The back button or a second click after submitting: the page is told to show the
    result, and nothing is submitted twice."""
    submit(draft, desk, {"hospitalized": True}, version=1)
    with pytest.raises(services.AlreadySubmitted) as refused:
        if second == "submit":
            submit(draft, desk, {"hospitalized": True}, version=1)
        else:
            save(draft, desk, {"hospitalized": True}, version=1)
    assert refused.value.resent is True
    assert refused.value.message == (
        "This intake was already submitted; here is its result. Nothing was submitted twice."
    )
    assert Screening.objects.filter(intake=draft).count() == 1


def test_sending_other_answers_after_submission_is_not_a_resend(draft, desk):
    """Another tab or a colleague: the answers are not saved, and the page is told so."""
    submit(draft, desk, {"hospitalized": True}, version=1)
    with pytest.raises(services.AlreadySubmitted) as refused:
        save(draft, desk, {"hospitalized": False}, version=1)
    assert refused.value.resent is False
    assert refused.value.message.startswith(
        "This intake was submitted meanwhile with other answers, so yours were not saved."
    )
    draft.refresh_from_db()
    assert draft.answers == {"hospitalized": True}


def test_a_stale_edit_is_refused_even_when_it_sends_the_stored_answers(draft, desk):
    """An edit is never taken for a resend: saving it again would make a second screening."""
    submit(draft, desk, {"hospitalized": True})
    draft.refresh_from_db()
    stale = draft.version
    edit(draft, desk, {"pain_nrs": 9}, version=stale)
    with pytest.raises(services.StaleIntake):
        edit(draft, desk, {"pain_nrs": 9}, version=stale)
    assert draft.screenings.count() == 2
