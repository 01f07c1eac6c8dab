"""Emergencies, closed loop: an emergency red flag stays open, at the top of the queue and
undecidable, until someone records who was contacted, when, by whom and a note; entries are
never changed (a correction is a new entry)."""

from __future__ import annotations

import datetime
import html

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from intake.models import (
    DecisionKind,
    EmergencyAction,
    EmergencyContact,
    ImmutableDecisionError,
    Intake,
    IntakeStatus,
    ScreeningKind,
)
from intake.rescreen.services import intakes_rescreen
from intake.services import emergencies, reviews
from intake.services.emergencies import emergency_still_open
from intake.services.screenings import screening_record
from screener.services import criteria_set_clone, criteria_set_publish
from tests.factories import CriteriaAdminFactory, FrontDeskFactory, PhysicianFactory, UserFactory
from tests.intake.frontdesk_helpers import example_answers, form_data, intake_url
from tests.intake.review.factories import AS_OF, rescreen, submitted_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

NOW = datetime.datetime(2025, 3, 14, 16, 0, tzinfo=datetime.UTC)
CALLED_AT = datetime.datetime(2025, 3, 14, 15, 40, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk():
    return FrontDeskFactory(first_name="Dana", last_name="Desk")


@pytest.fixture
def doc():
    return PhysicianFactory(first_name="Rosa", last_name="Ortiz")


def emergency_intake(**kwargs) -> Intake:
    return submitted_intake(outcome="emergency", **kwargs)


def record(intake, user, **kwargs) -> EmergencyAction:
    values = {
        "contacted": EmergencyContact.ONCALL,
        "contacted_at": CALLED_AT,
        "note": "Dr Hale on call: sending to the ED for a same-day MRI.",
        "contact_name": "Dr Hale",
    } | kwargs
    return emergencies.emergency_action_record(intake_id=intake.pk, user=user, **values)


def fresh(intake) -> Intake:
    return Intake.objects.get(pk=intake.pk)


# --------------------------------------------------------------------------------------------
# When an emergency is open


@pytest.mark.parametrize(
    ("was_emergency", "was_open", "now_emergency", "expected"),
    [
        (False, False, True, True),  # a new emergency opens
        (True, True, True, True),  # still nobody acted: stays open
        (True, False, True, False),  # acted on, the same emergency continues: stays closed
        (True, True, False, False),  # the red flag is gone: nothing open
        (False, False, False, False),
    ],
)
def test_when_an_emergency_is_open(was_emergency, was_open, now_emergency, expected):
    assert (
        emergency_still_open(
            was_emergency=was_emergency, was_open=was_open, now_emergency=now_emergency
        )
        is expected
    )


def test_a_screened_emergency_opens_and_an_action_closes_it(default_set, desk):
    intake = emergency_intake()
    assert (intake.emergency, intake.emergency_open) == (True, True)
    action = record(intake, desk)
    assert fresh(intake).emergency_open is False
    assert (action.contacted, action.recorded_by, action.recorded_at) == ("oncall", desk, NOW)
    assert action.screening_id == intake.latest_screening_id
    # Screened again with the same red flag: the action stands.
    rescreen(fresh(intake), reason="Phone number corrected")
    assert fresh(intake).emergency_open is False
    # The red flag goes, then comes back: a new emergency needs its own action.
    rescreen(fresh(intake), cauda_equina_signs=False)
    assert fresh(intake).emergency_open is False
    rescreen(fresh(intake), progressive_weakness=True)
    assert fresh(intake).emergency_open is True


def test_nothing_to_record_without_an_emergency(default_set, desk):
    intake = submitted_intake(outcome="urgent")  # fever: urgent, not an emergency
    with pytest.raises(emergencies.NoEmergency):
        record(intake, desk)
    assert not EmergencyAction.objects.exists()


@pytest.mark.parametrize("user_factory", [CriteriaAdminFactory, UserFactory])
def test_only_front_desk_and_physicians_record_actions(default_set, user_factory):
    intake = emergency_intake()
    with pytest.raises(PermissionDenied):
        record(intake, user_factory())
    assert fresh(intake).emergency_open is True


def test_a_contact_in_the_future_or_without_a_note_is_refused(default_set, doc):
    intake = emergency_intake()
    with pytest.raises(ValidationError) as future:
        record(intake, doc, contacted_at=NOW + datetime.timedelta(hours=1))
    assert future.value.message_dict == {
        "contacted_at": ["When: the contact cannot be in the future."]
    }
    with pytest.raises(ValidationError) as blank:
        record(intake, doc, note="   ")
    assert list(blank.value.message_dict) == ["note"]
    assert fresh(intake).emergency_open is True


def test_an_action_is_never_changed_and_a_correction_is_a_new_entry(default_set, desk, doc):
    intake = emergency_intake()
    first = record(intake, desk, contacted=EmergencyContact.EMERGENCY_DEPARTMENT)
    first.note = "rewritten"
    with pytest.raises(ImmutableDecisionError):
        first.save()
    with pytest.raises(ImmutableDecisionError):
        EmergencyAction.objects.filter(pk=first.pk).update(note="rewritten")
    with pytest.raises(ImmutableDecisionError):
        EmergencyAction.objects.filter(pk=first.pk).delete()
    correction = record(
        intake,
        doc,
        contacted=EmergencyContact.PATIENT_SENT,
        note="Patient went by taxi.",
        corrects=first,
    )
    assert correction.corrects == first
    assert EmergencyAction.objects.get(pk=first.pk).note != "rewritten"
    other = emergency_intake()
    with pytest.raises(emergencies.NoEmergency):
        record(other, doc, corrects=first)  # an entry of another intake


# --------------------------------------------------------------------------------------------
# The queue and the decision


def test_a_decision_waits_until_the_action_is_recorded(default_set, desk, doc):
    intake = emergency_intake()
    with pytest.raises(reviews.EmergencyNotHandled):
        reviews.review_decide(
            intake=intake,
            screening_id=intake.latest_screening_id,
            kind=DecisionKind.REFER,
            refer_to="Emergency department",
            physician=doc,
        )
    assert fresh(intake).status == IntakeStatus.SUBMITTED
    record(intake, desk)
    reviews.review_decide(
        intake=fresh(intake),
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.REFER,
        refer_to="Emergency department",
        physician=doc,
    )
    assert fresh(intake).status == IntakeStatus.DECIDED


def test_open_emergencies_head_the_queue_with_their_waiting_time(client, default_set, desk, doc):
    handled = emergency_intake(submitted_at=NOW - datetime.timedelta(hours=5))
    record(handled, desk)
    waiting = emergency_intake(submitted_at=NOW - datetime.timedelta(minutes=20))
    fever = submitted_intake(outcome="urgent", submitted_at=NOW - datetime.timedelta(hours=9))
    client.force_login(doc)
    response = client.get(reverse("review:queue"))
    rows = response.context["rows"]
    assert [row.intake_id for row in rows] == [waiting.pk, handled.pk, fever.pk]
    assert (rows[0].emergency_open, rows[0].waiting_text) == (True, "20 min")
    assert rows[1].emergency_open is False
    page = response.content.decode()
    assert page.count("No emergency action recorded") == 1
    assert "Emergency action recorded" in page


# --------------------------------------------------------------------------------------------
# Pages


def action_post(intake, **changes) -> dict:
    return {
        "emergency-contacted": "emergency_department",
        "emergency-contact_name": "St Mary's ED",
        "emergency-contacted_at": "2025-03-14T15:40",
        "emergency-note": "Charge nurse expecting her within the hour.",
        "emergency-next": "result",
    } | changes


def test_the_front_desk_records_the_action_from_the_result_page(client, default_set, desk):
    intake = emergency_intake()
    client.force_login(desk)
    url = reverse("intake:emergency-action", args=[intake.pk])
    response = client.post(url, action_post(intake), follow=True)
    assert response.redirect_chain == [(intake_url(intake) + "#emergency", 302)]
    page = " ".join(html.unescape(response.content.decode()).split())
    assert "Emergency action recorded: emergency department contacted at 15:40" in page
    assert (
        "Emergency department contacted</strong> (St Mary's ED) at 2025-03-14 15:40, by Dana Desk"
        in page
    )
    assert "Charge nurse expecting her within the hour." in page
    assert "No action is recorded yet." not in page
    assert fresh(intake).emergency_open is False


def test_a_physician_records_it_from_the_case_view(client, default_set, doc):
    intake = emergency_intake()
    client.force_login(doc)
    case = client.get(reverse("review:case", args=[intake.pk])).content.decode()
    assert "No action is recorded yet." in case
    response = client.post(
        reverse("intake:emergency-action", args=[intake.pk]),
        action_post(intake, **{"emergency-next": "case", "emergency-contacted": "oncall"}),
    )
    assert response.url == reverse("review:case", args=[intake.pk]) + "#emergency"
    action = EmergencyAction.objects.get(intake=intake)
    assert (action.contacted, action.recorded_by) == ("oncall", doc)


def test_a_bad_entry_names_the_field_and_keeps_what_was_typed(client, default_set, desk):
    intake = emergency_intake()
    client.force_login(desk)
    response = client.post(
        reverse("intake:emergency-action", args=[intake.pk]),
        action_post(intake, **{"emergency-contacted_at": "2025-03-14T18:00", "emergency-note": ""}),
    )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "Note: say what was said and what happens next." in page
    assert 'value="St Mary\'s ED"' in page
    assert 'value="2025-03-14T18:00"' in page
    assert not EmergencyAction.objects.exists()
    # The time in the future is refused too, once the note is there.
    response = client.post(
        reverse("intake:emergency-action", args=[intake.pk]),
        action_post(intake, **{"emergency-contacted_at": "2025-03-14T18:00"}),
    )
    assert "When: the contact cannot be in the future." in response.content.decode()


def test_criteria_admins_cannot_record_actions(client, default_set):
    intake = emergency_intake()
    client.force_login(CriteriaAdminFactory())
    url = reverse("intake:emergency-action", args=[intake.pk])
    assert client.post(url, action_post(intake)).status_code == 403


def test_submitting_an_emergency_is_announced_in_red_not_as_a_success(client, default_set, desk):
    draft = submitted_intake(outcome="candidate")
    intake = Intake.objects.create(
        patient=draft.patient,
        procedure=draft.procedure,
        criteria_set=draft.criteria_set,
        status=IntakeStatus.DRAFT,
    )
    client.force_login(desk)
    answers = example_answers("ex-cauda-equina.json")
    response = client.post(
        intake_url(intake), form_data(answers, version=1, action="submit"), follow=True
    )
    page = html.unescape(response.content.decode())
    assert '<div class="alert alert-danger alert-dismissible fade show" role="alert">' in page
    assert "EMERGENCY: do not book. Call the on-call spine clinician now on (555) 010-9111" in page
    assert "Record who you contacted in the emergency box below." in page
    assert "alert-success" not in page


def test_without_an_oncall_number_the_message_says_it_is_not_configured(
    client, default_set, desk, settings
):
    settings.ONCALL_PHONE = ""
    intake = emergency_intake()
    client.force_login(desk)
    page = html.unescape(client.get(intake_url(intake)).content.decode())
    assert "no on-call number is configured: ask the clinic manager to set ONCALL_PHONE" in page


def test_a_rescreen_keeps_the_emergency_loop(default_set, desk):
    """The re-screen's bulk update (SQL on PostgreSQL) follows the same rule as a screening."""
    handled = emergency_intake()
    record(handled, desk)
    open_one = emergency_intake()
    admin = CriteriaAdminFactory()
    draft = criteria_set_clone(criteria_set=default_set, user=admin)
    criteria_set_publish(criteria_set=draft, user=admin)
    intakes_rescreen(target=draft, user=admin)
    assert (fresh(handled).criteria_set_id, fresh(handled).emergency_open) == (draft.pk, False)
    assert (fresh(open_one).criteria_set_id, fresh(open_one).emergency_open) == (draft.pk, True)
    screening_record(intake=fresh(open_one), as_of=AS_OF, kind=ScreeningKind.EDIT, reason="x")
    assert fresh(open_one).emergency_open is True
