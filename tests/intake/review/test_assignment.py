"""Taking a case, assigning it to another physician, releasing it; others see who has it."""

from __future__ import annotations

import datetime
import html

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from intake.services import reviews
from tests.factories import FrontDeskFactory, IntakeFactory, PhysicianFactory
from tests.intake.review.factories import submitted_intake

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def ada():
    return PhysicianFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def bo():
    return PhysicianFactory(first_name="Bo", last_name="Baker")


def test_a_physician_takes_a_case(default_set, ada, frozen):
    intake = submitted_intake(outcome="candidate")
    reviews.review_take(intake=intake, physician=ada)
    intake.refresh_from_db()
    assert (intake.assigned_to, intake.assigned_at) == (ada, NOW)


def test_taking_a_case_someone_has_is_refused_naming_them(default_set, ada, bo, frozen):
    intake = submitted_intake(outcome="candidate")
    reviews.review_take(intake=intake, physician=ada)
    with pytest.raises(reviews.AssignmentConflict) as refused:
        reviews.review_take(intake=intake, physician=bo)
    assert refused.value.message == (
        "Ada Lovelace has this case since 09:00 on 20 Mar 2025. It was not taken."
    )
    intake.refresh_from_db()
    assert intake.assigned_to == ada


def test_assigning_hands_over_from_the_holder_the_page_showed(default_set, ada, bo):
    intake = submitted_intake(outcome="candidate")
    reviews.review_assign(intake=intake, assignee=bo, by=ada, expected_assignee_id=None)
    intake.refresh_from_db()
    assert intake.assigned_to == bo
    # A page opened before that hand-over cannot silently override it.
    with pytest.raises(reviews.AssignmentConflict, match="Bo Baker has this case"):
        reviews.review_assign(intake=intake, assignee=ada, by=ada, expected_assignee_id=None)
    reviews.review_assign(intake=intake, assignee=None, by=ada, expected_assignee_id=bo.pk)
    intake.refresh_from_db()
    assert (intake.assigned_to, intake.assigned_at) == (None, None)


def test_cases_are_assigned_only_to_physicians(default_set, ada):
    intake = submitted_intake(outcome="candidate")
    with pytest.raises(ValidationError) as refused:
        reviews.review_assign(
            intake=intake, assignee=FrontDeskFactory(), by=ada, expected_assignee_id=None
        )
    assert refused.value.message_dict == {"assignee": ["Assign to: choose a physician."]}


def test_front_desk_cannot_take_or_assign(client, default_set, ada):
    desk = FrontDeskFactory()
    intake = submitted_intake(outcome="candidate")
    with pytest.raises(PermissionDenied):
        reviews.review_take(intake=intake, physician=desk)
    client.force_login(desk)
    assert client.post(reverse("review:take", args=[intake.pk])).status_code == 403
    assert (
        client.post(reverse("review:assign", args=[intake.pk]), {"assignee": ada.pk}).status_code
        == 403
    )
    intake.refresh_from_db()
    assert intake.assigned_to is None


def test_drafts_cannot_be_taken(default_set, ada):
    with pytest.raises(reviews.ReviewConflict):
        reviews.review_take(intake=IntakeFactory(), physician=ada)


def test_take_from_the_queue_returns_to_the_same_filtered_queue(client, default_set, ada, bo):
    intake = submitted_intake(
        outcome="candidate",
        patient__last_name="Hopper",
        patient__first_name="Grace",
        patient__mrn="MRN-7731",
    )
    client.force_login(ada)
    queue = reverse("review:queue") + "?outcome=candidate"
    response = client.post(reverse("review:take", args=[intake.pk]), {"next": queue}, follow=True)
    assert response.redirect_chain == [(queue, 302)]
    page = html.unescape(response.content.decode())
    assert "You have taken the case of Hopper, Grace (MRN MRN-7731)." in page
    assert "<strong>You</strong>" in page
    # Another physician sees who has it, and an outside "next" is not followed.
    client.force_login(bo)
    response = client.post(
        reverse("review:take", args=[intake.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("review:case", args=[intake.pk])
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "Ada Lovelace has this case since" in page


def test_a_refused_take_from_the_queue_names_the_case(client, default_set, ada, bo, frozen):
    """Back on the queue, the refusal says which case it was about, by patient, not by id."""
    intake = submitted_intake(
        outcome="candidate",
        patient__last_name="Hopper",
        patient__first_name="Grace",
        patient__mrn="MRN-7731",
    )
    reviews.review_take(intake=intake, physician=ada)
    client.force_login(bo)
    queue = reverse("review:queue")
    response = client.post(reverse("review:take", args=[intake.pk]), {"next": queue}, follow=True)
    assert (
        "The case of Hopper, Grace (MRN MRN-7731): Ada Lovelace has this case since 09:00 on "
        "20 Mar 2025. It was not taken."
    ) in html.unescape(response.content.decode())


def test_assign_through_the_case_page(client, default_set, ada, bo):
    intake = submitted_intake(
        outcome="candidate",
        patient__last_name="Hopper",
        patient__first_name="Grace",
        patient__mrn="MRN-7731",
    )
    client.force_login(ada)
    url = reverse("review:assign", args=[intake.pk])
    response = client.post(url, {"assignee": bo.pk, "expected_assignee": ""}, follow=True)
    assert "The case of Hopper, Grace (MRN MRN-7731) is now assigned to Bo Baker." in (
        html.unescape(response.content.decode())
    )
    assert f"ntake {intake.pk}" not in html.unescape(response.content.decode())
    stale = client.post(url, {"assignee": ada.pk, "expected_assignee": ""}, follow=True)
    assert "Bo Baker has this case" in html.unescape(stale.content.decode())
    intake.refresh_from_db()
    assert intake.assigned_to == bo
    bad = client.post(url, {"assignee": "999999", "expected_assignee": bo.pk})
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()
    released = client.post(url, {"assignee": "", "expected_assignee": bo.pk}, follow=True)
    assert "The case of Hopper, Grace (MRN MRN-7731) is now unassigned." in (
        html.unescape(released.content.decode())
    )
