"""The Authorization coordinator: least privilege (reads patients, intakes, screenings and
decisions; attaches, reads and withdraws documents; changes no answer and decides nothing), its
start page and menu, and the second factor it is offered like physicians."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from intake.roles import AUTHORIZATION, FRONT_DESK
from intake.services.accounts import roles_ensure
from intake.two_factor import two_factor_offered
from tests.factories import UserFactory
from tests.intake.review.factories import submitted_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator():
    roles_ensure()
    user = UserFactory(username="coordinator")
    user.groups.add(Group.objects.get(name=AUTHORIZATION))
    return user


@pytest.fixture
def coordinator_client(coordinator):
    client = Client()
    client.force_login(coordinator)
    return client


def test_the_group_holds_exactly_its_permissions(coordinator):
    permissions = set(
        Group.objects.get(name=AUTHORIZATION).permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    assert permissions == {
        ("intake", "view_patient"),
        ("intake", "view_intake"),
        ("intake", "view_screening"),
        ("intake", "view_decision"),
        ("intake", "add_intakedocument"),
        ("intake", "view_intakedocument"),
        ("intake", "withdraw_intakedocument"),
        ("authorization", "add_authorizationpacket"),
        ("authorization", "change_authorizationpacket"),
        ("authorization", "view_authorizationpacket"),
        ("authorization", "add_packetstatuschange"),
        ("authorization", "view_packetstatuschange"),
    }
    assert not coordinator.is_staff


def test_the_start_page_is_the_packet_queue_and_the_menu_offers_it_and_patients(
    coordinator_client,
):
    response = coordinator_client.get(reverse("home"))
    assert response["Location"] == reverse("authorization:queue")

    page = coordinator_client.get(reverse("intake:patient-list")).content.decode()
    assert f'href="{reverse("intake:patient-list")}">Patients</a>' in page
    assert f'href="{reverse("authorization:queue")}">Prior authorizations</a>' in page
    assert reverse("review:queue") not in page
    assert reverse("intake:needs-info-list") not in page
    assert reverse("intake:patient-create") not in page


def test_the_result_page_reads_without_edit_or_handout_links(default_set, coordinator_client):
    intake = submitted_intake(outcome="candidate")

    page = coordinator_client.get(reverse("intake:intake-detail", args=[intake.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    assert reverse("intake:intake-edit", args=[intake.pk]) not in text
    assert reverse("intake:intake-handout", args=[intake.pk]) not in text
    assert reverse("intake:document-attach", args=[intake.pk]) in text


def test_the_coordinator_cannot_change_answers(default_set, coordinator_client):
    intake = submitted_intake(outcome="candidate")

    response = coordinator_client.post(
        reverse("intake:intake-detail", args=[intake.pk]), {"_action": "save"}
    )

    assert response.status_code == 403


def test_the_coordinator_is_offered_a_second_factor_and_front_desk_is_not(coordinator):
    desk = UserFactory(username="desk-mfa", role=FRONT_DESK)

    assert two_factor_offered(coordinator) is True
    assert two_factor_offered(desk) is False
