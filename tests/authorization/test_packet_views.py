"""The packet pages: who may open what, the queue's order and CSV, and what the page says."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from authorization import services
from authorization.models import PacketStatus
from intake.models import AuditEvent
from intake.roles import AUDITOR, CRITERIA_ADMIN
from tests.authorization.helpers import (
    NOW,
    CoordinatorFactory,
    open_packet,
    physician_with_npi,
    proceed_intake,
)
from tests.factories import FrontDeskFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles", "frozen")]


@pytest.fixture
def packet(default_set):
    return open_packet(proceed_intake())


def urls(packet):
    """Every packet URL: (name, method, url)."""
    return [
        ("queue", "get", reverse("authorization:queue")),
        ("open", "get", reverse("authorization:open", args=[packet.intake_id])),
        ("packet", "get", reverse("authorization:packet", args=[packet.pk])),
        ("edit", "post", reverse("authorization:edit", args=[packet.pk])),
        ("attest", "post", reverse("authorization:attest", args=[packet.pk])),
        ("move", "post", reverse("authorization:move", args=[packet.pk, "submitted"])),
        ("revise", "post", reverse("authorization:revise", args=[packet.pk])),
        ("pdf", "get", reverse("authorization:pdf", args=[packet.pk])),
        ("bundle", "get", reverse("authorization:bundle", args=[packet.pk])),
    ]


ALLOWED = {
    "coordinator": {"queue", "open", "packet", "edit", "move", "revise", "pdf", "bundle"},
    "physician": {"packet", "attest", "pdf", "bundle"},
}


def _user(kind):
    if kind == "coordinator":
        return CoordinatorFactory()
    if kind == "physician":
        return physician_with_npi(npi="1245319599")
    if kind == "front desk":
        return FrontDeskFactory()
    return UserFactory(role={"auditor": AUDITOR, "criteria admin": CRITERIA_ADMIN}[kind])


def test_anonymous_users_are_sent_to_sign_in_from_every_packet_url(client, packet):
    for _name, method, url in urls(packet):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "login" in response["Location"], url


@pytest.mark.parametrize(
    "kind", ["coordinator", "physician", "front desk", "auditor", "criteria admin"]
)
def test_each_role_reaches_only_its_packet_urls(client, packet, kind):
    client.force_login(_user(kind))
    for name, method, url in urls(packet):
        response = getattr(client, method)(url)
        allowed = name in ALLOWED.get(kind, set())
        if allowed:
            # A POST without its form is a bad request or a redirect, never a refusal or a 500.
            assert response.status_code in (200, 302, 400), (kind, name, response.status_code)
        else:
            assert response.status_code == 403, (kind, name, response.status_code)


def test_an_unknown_packet_or_intake_is_not_found(client, packet):
    client.force_login(CoordinatorFactory())
    assert client.get(reverse("authorization:packet", args=[packet.pk + 99])).status_code == 404
    assert client.get(reverse("authorization:open", args=[10**9])).status_code == 404
    url = reverse("authorization:move", args=[packet.pk, "no-such-status"])
    assert client.post(url).status_code == 404


def test_the_coordinator_opens_a_packet_with_the_patients_insurance(client, default_set):
    intake = proceed_intake()
    client.force_login(CoordinatorFactory())
    url = reverse("authorization:open", args=[intake.pk])
    page = client.get(url)
    assert "Medicare Part B" in page.content.decode()
    refused = client.post(
        url, {"payer": "Medicare Part B", "member_id": "", "place_of_service": ""}
    )
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Medicare Part B" in text  # what was typed is kept
    assert "This field is required" in text
    done = client.post(
        url, {"payer": "Medicare Part B", "member_id": "1EG4", "place_of_service": "24"}
    )
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "Packet opened" in page
    assert "24 Ambulatory surgical center" in page


def test_the_physician_attests_on_the_page_by_typing_their_name(client, default_set):
    doc = physician_with_npi(first_name="Ana", last_name="Ruiz")
    packet = open_packet(proceed_intake(physician=doc))
    client.force_login(doc)
    url = reverse("authorization:attest", args=[packet.pk])
    refused = client.post(url, {"confirmation": "Ana"})
    assert refused.status_code == 400
    assert "Type your name exactly as shown (Ana Ruiz)" in refused.content.decode()
    done = client.post(url, {"confirmation": "ana  ruiz"})
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "Packet attested" in page
    assert "NPI 1234567893" in page
    packet.refresh_from_db()
    assert packet.status == PacketStatus.ATTESTED


def attested_packet(coordinator):
    """A packet the coordinator opened and its physician attested (gaps acknowledged)."""
    doc = physician_with_npi()
    packet = open_packet(proceed_intake(physician=doc), coordinator)
    services.packet_attest(
        packet=packet,
        user=doc,
        confirmation=services.attestation_phrase(doc),
        gaps_acknowledged=True,
        now=NOW,
    )
    return packet


def test_a_status_move_with_missing_details_names_the_fields_and_keeps_the_entry(
    client, default_set
):
    coordinator = CoordinatorFactory()
    packet = attested_packet(coordinator)
    client.force_login(coordinator)
    url = reverse("authorization:move", args=[packet.pk, "submitted"])
    refused = client.post(url, {"submitted-payer_reference": "REF-9"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "REF-9" in text
    assert text.count("This field is required") == 2
    done = client.post(
        url,
        {
            "submitted-submitted_on": "2025-03-21",
            "submitted-payer_reference": "REF-9",
            "submitted-channel": "portal",
        },
    )
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "Packet marked submitted" in page
    assert "REF-9" in page


def test_a_refused_move_builds_the_packets_content_once(client, default_set, monkeypatch):
    """The move's form offers the packet's criteria; refused, the page shown again reuses the
    content read for it rather than reading it a second time."""
    from authorization import selectors

    coordinator = CoordinatorFactory()
    packet = attested_packet(coordinator)
    built = []
    real = selectors.packet_content

    def counting(*args, **kwargs):
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(selectors, "packet_content", counting)
    client.force_login(coordinator)
    url = reverse("authorization:move", args=[packet.pk, "submitted"])
    refused = client.post(url, {"submitted-payer_reference": "REF-7"})
    assert refused.status_code == 400
    assert "REF-7" in refused.content.decode()
    assert len(built) == 1


def test_the_queue_puts_denials_and_pended_first_and_exports_csv(client, default_set):
    doc = physician_with_npi()
    coordinator = CoordinatorFactory()
    made = {}
    for status in ("draft", "pended", "approved", "denied"):
        packet = open_packet(proceed_intake(physician=doc), coordinator)
        made[status] = packet
        if status == "draft":
            continue
        services.packet_attest(
            packet=packet,
            user=doc,
            confirmation=services.attestation_phrase(doc),
            gaps_acknowledged=True,
            now=NOW,
        )
        services.packet_move(
            packet=packet,
            user=coordinator,
            to_status="submitted",
            values={
                "submitted_on": datetime.date(2025, 3, 21),
                "payer_reference": f"REF-{status}",
                "channel": "portal",
            },
            now=NOW,
        )
        values = {
            "pended": {"pended_request": "MRI", "pended_due": datetime.date(2025, 4, 1)},
            "approved": {
                "authorization_number": "AUTH-1",
                "valid_from": datetime.date(2025, 3, 22),
                "valid_to": datetime.date(2025, 6, 22),
                "approved_units": 1,
            },
            "denied": {"denial_reason": "No MRI", "denied_criteria": []},
        }[status]
        services.packet_move(
            packet=packet, user=coordinator, to_status=status, values=values, now=NOW
        )
    client.force_login(coordinator)
    page = client.get(reverse("authorization:queue")).content.decode()
    table = page[page.index("<table") :]
    order = [
        table.index(made[s].intake.patient.mrn) for s in ("denied", "pended", "draft", "approved")
    ]
    assert order == sorted(order)
    filtered = client.get(reverse("authorization:queue") + "?status=pended").content.decode()
    filtered = filtered[filtered.index("<table") :]
    assert made["pended"].intake.patient.mrn in filtered
    assert made["denied"].intake.patient.mrn not in filtered

    export = client.get(reverse("authorization:queue") + "?format=csv")
    assert export["Content-Type"].startswith("text/csv")
    lines = export.content.decode().splitlines()
    assert lines[0].startswith("packet,revision,status")
    assert len(lines) == 5
    assert "AUTH-1" in export.content.decode()
    assert AuditEvent.objects.filter(part="authorization queue CSV").exists()


def test_planned_cases_with_no_approval_are_flagged(client, default_set, frozen):
    intake = proceed_intake(planned=datetime.date(2025, 3, 25))
    client.force_login(CoordinatorFactory())
    page = client.get(reverse("authorization:queue")).content.decode()
    assert "Planned with no approval" in page
    assert intake.patient.mrn in page
