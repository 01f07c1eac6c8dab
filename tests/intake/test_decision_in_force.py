"""The decision in force, everywhere an intake appears: shown first and plainly, the screener's
suggestion second and labelled as such; and the screening date is the clinic's local date."""

from __future__ import annotations

import datetime
import html
import re

import pytest
import time_machine
from django.urls import reverse

from intake.models import DecisionKind, Intake, IntakeStatus
from intake.outcomes import OUTCOME_LABELS, outcome_label
from intake.services import reviews
from tests.factories import FrontDeskFactory, IntakeFactory, PhysicianFactory
from tests.intake.frontdesk_helpers import example_answers, form_data, intake_url
from tests.intake.review.exports import exported
from tests.intake.review.factories import submitted_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

NOW = datetime.datetime(2025, 3, 15, 14, 0, tzinfo=datetime.UTC)


@pytest.fixture
def doctor():
    return PhysicianFactory(first_name="Rosa", last_name="Ortiz")


def decide(intake, doctor, kind, **kwargs):
    with time_machine.travel(NOW, tick=False):
        return reviews.review_decide(
            intake=intake,
            screening_id=intake.latest_screening_id,
            kind=kind,
            physician=doctor,
            **kwargs,
        )


def text(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def test_every_label_reads_as_a_suggestion_until_a_physician_decides():
    """One place defines the labels; none says "meets criteria" as a finding."""
    pending = {o: outcome_label(o) for o in OUTCOME_LABELS}
    assert pending == {
        "urgent": "Urgent referral — for physician review now",
        "contraindicated": "Possible contraindication — for physician review",
        "needs_info": "Information needed — to complete before physician review",
        "conservative": "Conservative care suggested — for physician review",
        "candidate_with_cautions": (
            "Appears to meet criteria, cautions to review — awaiting physician review"
        ),
        "candidate": "Appears to meet criteria — awaiting physician review",
    }
    assert outcome_label("candidate", decided=True) == "Appears to meet criteria"


def test_the_patient_page_says_not_a_candidate_first(client, default_set, doctor):
    """A refused patient once read "Decided · Meets criteria" here."""
    intake = submitted_intake(outcome="candidate")
    decide(intake, doctor, DecisionKind.NOT_CANDIDATE, reason="Pain comes from the hip.")
    client.force_login(FrontDeskFactory())
    page = text(client.get(reverse("intake:patient-detail", args=[intake.patient.pk])))
    headline = "Physician decision: not a candidate — Rosa Ortiz, 2025-03-15"
    assert headline in page
    assert "The screener suggested: Appears to meet criteria" in page
    assert page.index(headline) < page.index("The screener suggested")
    assert "Meets criteria" not in page
    assert "awaiting physician review" not in page


def test_the_patient_page_shows_a_waiting_case_as_a_suggestion(client, default_set):
    intake = submitted_intake(outcome="candidate")
    IntakeFactory(patient=intake.patient)  # and a draft
    client.force_login(FrontDeskFactory())
    page = text(client.get(reverse("intake:patient-detail", args=[intake.patient.pk])))
    assert "Appears to meet criteria — awaiting physician review" in page
    assert "Not submitted yet" in page
    assert "Physician decision" not in page


def test_the_needs_information_list_names_who_asked(client, default_set, doctor):
    intake = submitted_intake(outcome="candidate")
    decide(intake, doctor, DecisionKind.REQUEST_INFO, reason="Please send the MRI report.")
    client.force_login(FrontDeskFactory())
    page = text(client.get(reverse("intake:needs-info-list")))
    assert "Physician decision: request more information — Rosa Ortiz, 2025-03-15" in page
    assert "“Please send the MRI report.”" in page


def test_the_decided_view_of_the_queue_shows_the_decision_and_the_wait_it_ended(
    client, default_set, doctor
):
    submitted = NOW - datetime.timedelta(hours=6)
    intake = submitted_intake(outcome="candidate", submitted_at=submitted)
    decide(intake, doctor, DecisionKind.PROCEED)
    client.force_login(doctor)
    with time_machine.travel(NOW + datetime.timedelta(days=3), tick=False):
        response = client.get(reverse("review:queue"), {"status": "decided"})
    row = response.context["rows"][0]
    assert (
        row.decision.headline == "Physician decision: proceed to procedure — Rosa Ortiz, 2025-03-15"
    )
    assert row.waiting_text == "6 h"  # not 3 days: the wait ended with the decision
    page = " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())  # as read, tags dropped
    # The decision first, then the suggestion, then who decided and when.
    assert (
        "Proceed to procedure The screener suggested: Appears to meet criteria Rosa Ortiz "
        "15 Mar 2025 14:00"
    ) in page
    assert "6 h until the decision" in page


def test_the_csv_export_has_the_decision_before_the_suggestion(client, default_set, doctor):
    intake = submitted_intake(outcome="contraindicated")
    decide(intake, doctor, DecisionKind.NOT_CANDIDATE, reason="Allergy confirmed.")
    client.force_login(doctor)
    rows = exported(client, {"status": "decided"})
    header, row = rows[0], rows[1]
    decision = header.index("Physician decision")
    assert header[decision : decision + 5] == [
        "Physician decision",
        "Decided by",
        "Decided at",
        "Planned procedure date",
        "Screener suggested",
    ]
    assert row[decision : decision + 5] == [
        "Not a candidate",
        "Rosa Ortiz",
        "2025-03-15 14:00",
        "",  # no plan: not a proceed decision
        "Possible contraindication",
    ]


def test_an_amendment_is_the_decision_in_force(client, default_set, doctor):
    intake = submitted_intake(outcome="candidate")
    first = decide(intake, doctor, DecisionKind.PROCEED)
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        reviews.review_amend(
            decision=first,
            screening_id=intake.latest_screening_id,
            kind=DecisionKind.CONSERVATIVE,
            physician=doctor,
            reason="Patient prefers to wait.",
        )
    stored = Intake.objects.select_related("current_decision").get(pk=intake.pk)
    assert stored.decision_in_force.kind == DecisionKind.CONSERVATIVE
    client.force_login(FrontDeskFactory())
    page = text(client.get(intake_url(intake)))
    assert "Physician decision: conservative care — Rosa Ortiz, 2025-03-15" in page
    assert "22511" not in page  # proceed was amended: no billing


# --------------------------------------------------------------------------------------------
# The screening date is the clinic's local date


def test_an_intake_submitted_late_in_the_evening_west_of_utc_is_screened_as_of_that_day(
    client, default_set, settings
):
    """23:30 in Chicago on 14 March is 05:30 UTC on 15 March: the screening date is the 14th,
    and an MRI dated the 14th is not "after the screening date"."""
    settings.TIME_ZONE = "America/Chicago"
    intake = IntakeFactory()
    client.force_login(FrontDeskFactory())
    answers = example_answers("ex-inpatient-candidate.json") | {
        "advanced_imaging_date": "2025-03-14",
    }
    late_evening = datetime.datetime(2025, 3, 15, 4, 30, tzinfo=datetime.UTC)  # 23:30 CDT
    with time_machine.travel(late_evening, tick=False):
        response = client.post(
            intake_url(intake), form_data(answers, version=1, action="submit"), follow=True
        )
    assert response.status_code == 200
    stored = Intake.objects.select_related("latest_screening").get(pk=intake.pk)
    assert stored.status == IntakeStatus.SUBMITTED
    assert stored.latest_screening.as_of == datetime.date(2025, 3, 14)
    # The same form one day earlier in the clinic refuses the date as in the future.
    other = IntakeFactory()
    with time_machine.travel(late_evening - datetime.timedelta(days=1), tick=False):
        refused = client.post(intake_url(other), form_data(answers, version=1, action="submit"))
    assert "2025-03-14 is after the screening date 2025-03-13." in text(refused)
