"""After "proceed": the preparation checklist, the follow-up plan with dates computed from the
planned procedure date, and the printable patient instructions."""

from __future__ import annotations

import datetime
import html

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from intake.models import Decision, DecisionKind, ImmutableDecisionError
from intake.selectors.handouts import add_months, follow_up_visits
from intake.services import reviews
from tests.criteria_data import default_follow_ups
from tests.factories import FrontDeskFactory, PhysicianFactory, UserFactory
from tests.intake.review.factories import submitted_intake

NOW = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)
d = datetime.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (d(2025, 3, 15), 1, d(2025, 4, 15)),  # same day next month
        (d(2025, 1, 31), 1, d(2025, 2, 28)),  # clamped to the end of February
        (d(2024, 1, 31), 1, d(2024, 2, 29)),  # leap year
        (d(2025, 3, 31), 1, d(2025, 4, 30)),
        (d(2025, 12, 31), 1, d(2026, 1, 31)),  # over the year end
        (d(2025, 11, 30), 3, d(2026, 2, 28)),
        (d(2025, 5, 31), 3, d(2025, 8, 31)),
    ],
)
def test_months_are_the_same_day_clamped_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_follow_up_visits_one_week_one_month_three_months_after():
    visits = follow_up_visits(d(2025, 1, 31), default_follow_ups())
    assert [v.due for v in visits] == [d(2025, 2, 7), d(2025, 2, 28), d(2025, 4, 30)]
    assert [v.label for v in visits] == [
        "Visit within one week (pain relief, the needle site)",
        "Visit at one month",
        "Visit at three months",
    ]


# ------------------------------------------------------------------------------------------


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def doc(client):
    user = PhysicianFactory(first_name="Ada", last_name="Lovelace")
    client.force_login(user)
    return user


def proceed(intake, physician, **kwargs):
    return reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.PROCEED,
        physician=physician,
        **kwargs,
    )


def case_page(client, intake):
    response = client.get(reverse("review:case", args=[intake.pk]))
    assert response.status_code == 200
    return response, html.unescape(response.content.decode())


@pytest.mark.django_db
def test_proceed_with_a_date_shows_the_checklist_and_dated_plan(client, default_set, doc, frozen):
    intake = submitted_intake(outcome="candidate")
    response = client.post(
        reverse("review:decide", args=[intake.pk]),
        {
            "kind": "proceed",
            "planned_procedure_date": "2025-03-31",
            "screening": intake.latest_screening_id,
        },
    )
    assert response.status_code == 302
    response, page = case_page(client, intake)
    assert "Printable patient handout" in page
    assert [(v.label, v.due) for v in response.context["case"].follow_up] == [
        ("Visit within one week (pain relief, the needle site)", d(2025, 4, 7)),
        ("Visit at one month", d(2025, 4, 30)),
        ("Visit at three months", d(2025, 6, 30)),
    ]
    assert "Mon 07 Apr 2025" in page
    assert "Bone-health review and an osteoporosis treatment plan." in page
    decision = response.context["case"].current_decision
    assert (decision.planned_date_set_by, decision.planned_date_set_at) == (doc, NOW)


@pytest.mark.django_db
def test_the_date_can_be_entered_later_and_moved(client, default_set, doc, frozen):
    intake = submitted_intake(outcome="candidate")
    decision = proceed(intake, doc)
    _response, page = case_page(client, intake)
    assert "Enter the planned procedure date to compute the follow-up dates." in page
    url = reverse("review:follow-up", args=[intake.pk])
    response = client.post(url, {"planned_procedure_date": "2025-04-10"}, follow=True)
    assert "Planned procedure date saved: 10 Apr 2025." in response.content.decode()
    assert [v.due for v in response.context["case"].follow_up] == [
        d(2025, 4, 17),
        d(2025, 5, 9),  # 10 May 2025 is a Saturday: the Friday before
        d(2025, 7, 10),
    ]
    client.post(url, {"planned_procedure_date": "2025-04-14"})
    decision.refresh_from_db()
    assert decision.planned_procedure_date == d(2025, 4, 14)
    assert (decision.kind, decision.reason) == ("proceed", "")  # what was signed is unchanged


@pytest.mark.django_db
def test_planned_dates_before_the_decision_or_years_ahead_are_refused(
    client, default_set, doc, frozen
):
    intake = submitted_intake(outcome="candidate")
    decision = proceed(intake, doc)
    url = reverse("review:follow-up", args=[intake.pk])
    response = client.post(url, {"planned_procedure_date": "2025-03-19"})
    assert response.status_code == 400
    assert (
        "Planned procedure date: must be on or after 20 Mar 2025, the decision date."
        in response.content.decode()
    )
    assert 'value="2025-03-19"' in response.content.decode()  # what was typed is kept
    response = client.post(url, {"planned_procedure_date": "2026-04-01"})
    assert "more than a year after the decision; check the year." in response.content.decode()
    response = client.post(url, {"planned_procedure_date": ""})
    assert "Planned procedure date: enter the date of the procedure." in response.content.decode()
    decision.refresh_from_db()
    assert decision.planned_procedure_date is None


@pytest.mark.django_db
def test_no_plan_on_a_decision_that_is_not_proceed_or_was_amended(default_set, doc, frozen):
    intake = submitted_intake(outcome="candidate")
    first = proceed(intake, doc)
    reviews.review_amend(
        decision=first,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.CONSERVATIVE,
        physician=doc,
        reason="Improving.",
    )
    with pytest.raises(reviews.ReviewConflict):
        reviews.review_plan_follow_up(
            decision=first, planned_procedure_date=d(2025, 4, 1), physician=doc
        )


@pytest.mark.django_db
def test_no_plan_before_a_decision_or_on_another_kind(client, default_set, doc, frozen):
    intake = submitted_intake(outcome="conservative")
    url = reverse("review:follow-up", args=[intake.pk])
    response = client.post(url, {"planned_procedure_date": "2025-04-01"}, follow=True)
    assert "No decision has been signed on this case yet" in response.content.decode()
    reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.CONSERVATIVE,
        physician=doc,
    )
    response = client.post(url, {"planned_procedure_date": "2025-04-01"})
    assert response.status_code == 409
    assert "belongs to a proceed decision that is in force" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_user", [FrontDeskFactory, UserFactory], ids=["front desk", "no role"]
)
def test_only_a_physician_can_plan_the_follow_up(default_set, doc, frozen, make_user):
    """The service refuses a front-desk user and a user without a role; nothing is saved."""
    intake = submitted_intake(outcome="candidate")
    decision = proceed(intake, doc, planned_procedure_date=d(2025, 3, 31))
    stored = Decision.objects.filter(pk=decision.pk).values().get()
    with pytest.raises(PermissionDenied, match="Only physicians"):
        reviews.review_plan_follow_up(
            decision=decision, planned_procedure_date=d(2025, 4, 10), physician=make_user()
        )
    assert Decision.objects.filter(pk=decision.pk).values().get() == stored
    assert stored["planned_procedure_date"] == d(2025, 3, 31)
    assert stored["planned_date_set_by_id"] == doc.pk


@pytest.mark.django_db
def test_the_scheduling_date_is_the_only_change_a_decision_accepts(default_set, doc, frozen):
    intake = submitted_intake(outcome="candidate")
    decision = proceed(intake, doc)
    with pytest.raises(ValidationError):
        reviews.review_plan_follow_up(
            decision=decision, planned_procedure_date=d(2025, 1, 1), physician=doc
        )
    decision.planned_procedure_date = d(2025, 4, 1)
    decision.reason = "added later"
    with pytest.raises(ImmutableDecisionError):
        decision.save()


@pytest.mark.django_db
def test_the_proceed_handout_has_the_date_visits_preparation_recovery_and_the_clinic(
    client, default_set, doc, frozen
):
    intake = submitted_intake(outcome="candidate")
    proceed(intake, doc, planned_procedure_date=d(2025, 3, 31))
    url = reverse("intake:intake-handout", args=[intake.pk])
    response = client.get(url)
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "Planned procedure date: <strong>Monday, March 31, 2025</strong>" in page
    for heading in (
        "Your follow-up visits",
        "About the procedure",
        "Preparation",
        "Recovery and home care",
        "Patient education and prevention",
        "Possible complications",
        "Cost and coverage",
        "Who to call",
    ):
        assert f'<h2 class="h5">{heading}</h2>' in page
    assert "Monday, June 30, 2025" in page  # three months after
    assert "Plan for someone to drive you home." in page
    assert "Do not drive for 24 hours after the sedation." in page
    assert "Call 911 for chest pain or trouble breathing" in page
    # The clinic's details come from settings, with the on-call number.
    assert "Riverside Spine Clinic" in page
    assert "100 River Road, Springfield" in page
    assert "call the clinic at <strong>(555) 010-2000</strong>" in page
    assert "<strong>(555) 010-9111</strong>" in page
    assert "Physician decision: proceed to procedure" in page
    assert "data-print" in page
    # The front desk hands the handout to the patient.
    client.force_login(FrontDeskFactory())
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_conservative_decision_has_a_handout_with_the_date_a_procedure_may_be_considered(
    client, default_set, doc, frozen
):
    """Onset 7 Feb 2025 plus max_fracture_age_weeks (12) is 2 May 2025, filled from the set."""
    intake = submitted_intake(outcome="conservative")
    url = reverse("intake:intake-handout", args=[intake.pk])
    assert client.get(url).status_code == 404  # no decision yet: nothing to hand out
    reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.CONSERVATIVE,
        physician=doc,
    )
    page = html.unescape(client.get(url).content.decode())
    assert '<h2 class="h5">Caring for your back without a procedure</h2>' in page
    assert (
        "If your pain is still 5 or more out of 10 after 3 weeks, or it gets worse, call the "
        "clinic: a procedure may then be considered." in page
    )
    assert "A procedure can be considered until May 2, 2025 (12 weeks after your pain began)." in (
        page
    )
    assert "Your follow-up visits" not in page
    assert "Planned procedure date" not in page


@pytest.mark.django_db
def test_not_a_candidate_gets_the_same_handout_and_a_referral_none(client, default_set, doc):
    intake = submitted_intake(outcome="contraindicated")
    reviews.review_decide(
        intake=intake,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.NOT_CANDIDATE,
        physician=doc,
        reason="Cement allergy confirmed by the allergist.",
    )
    url = reverse("intake:intake-handout", args=[intake.pk])
    assert "Caring for your back without a procedure" in client.get(url).content.decode()
    other = submitted_intake(outcome="urgent")
    reviews.review_decide(
        intake=other,
        screening_id=other.latest_screening_id,
        kind=DecisionKind.REFER,
        refer_to="Infectious diseases",
        physician=doc,
    )
    # The set has no patient blocks for a referral: no handout, and no link to one.
    assert client.get(reverse("intake:intake-handout", args=[other.pk])).status_code == 404
    assert "Printable patient handout" not in client.get(
        reverse("review:case", args=[other.pk])
    ).content.decode()


@pytest.mark.parametrize(
    ("planned", "expected"),
    [
        # Fri 7 Mar 2025: +7 days Fri 14 Mar; 7 Apr is a Monday; 7 Jun 2025 is a Saturday.
        (d(2025, 3, 7), [d(2025, 3, 14), d(2025, 4, 7), d(2025, 6, 6)]),
        # Thu 2 Jan 2025: 2 Feb 2025 is a Sunday (moves to Monday 3 Feb); 2 Apr is a Wednesday.
        (d(2025, 1, 2), [d(2025, 1, 9), d(2025, 2, 3), d(2025, 4, 2)]),
        # A procedure on Saturday 5 Apr 2025 (an exception): its week visit moves to Friday.
        (d(2025, 4, 5), [d(2025, 4, 11), d(2025, 5, 5), d(2025, 7, 4)]),
    ],
)
def test_follow_up_visits_never_fall_on_a_weekend(planned, expected):
    visits = [v.due for v in follow_up_visits(planned, default_follow_ups())]
    assert visits == expected
    assert all(due.weekday() < 5 for due in visits)
