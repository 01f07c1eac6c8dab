"""Every front-desk page needs login and the Front desk role; physicians may read (GET)."""

from __future__ import annotations

import pytest

from intake.models import Intake, IntakeStatus, Patient, ScreeningKind
from intake.services.screenings import screening_record
from tests.factories import (
    CriteriaAdminFactory,
    FrontDeskFactory,
    IntakeFactory,
    PatientFactory,
    PhysicianFactory,
    UserFactory,
)
from tests.intake.frontdesk_helpers import AS_OF

pytestmark = pytest.mark.django_db

# (method, url, who may) with {p} a patient, {d} a draft intake, {s} a submitted intake.
PAGES = [
    ("get", "/patients/", "read"),
    ("post", "/patients/", "read"),  # the search box: a read, kept in the session
    ("get", "/patients/new/", "write"),
    ("post", "/patients/new/", "write"),
    ("get", "/patients/{p}/", "read"),
    ("get", "/patients/{p}/edit/", "write"),
    ("post", "/patients/{p}/edit/", "write"),
    ("post", "/intakes/start/", "write"),
    ("get", "/intakes/{s}/", "read"),
    ("get", "/intakes/{d}/", "read"),
    ("post", "/intakes/{d}/", "write"),
    ("post", "/intakes/{d}/panel/", "write"),
    ("get", "/intakes/{s}/edit/", "write"),
    ("post", "/intakes/{s}/edit/", "write"),
    ("get", "/intakes/needs-information/", "write"),
]


@pytest.fixture
def objects(default_set):
    patient = PatientFactory()
    draft = IntakeFactory(patient=patient)
    sent = IntakeFactory(
        patient=patient, status=IntakeStatus.SUBMITTED, answers={"hospitalized": True}
    )
    screening_record(intake=sent, as_of=AS_OF, kind=ScreeningKind.SUBMISSION)
    return {"p": patient.pk, "d": draft.pk, "s": sent.pk}


def snapshot():
    return (
        list(Patient.objects.values_list("pk", "mrn", "first_name")),
        list(Intake.objects.values_list("pk", "status", "version", "answers")),
    )


@pytest.mark.parametrize(("method", "url", "access"), PAGES)
def test_anonymous_is_sent_to_login(client, objects, method, url, access):
    response = getattr(client, method)(url.format(**objects))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(("method", "url", "access"), PAGES)
@pytest.mark.parametrize("factory", [CriteriaAdminFactory, UserFactory], ids=["admin", "norole"])
def test_other_roles_are_refused_and_change_nothing(client, objects, method, url, access, factory):
    client.force_login(factory())
    before = snapshot()
    assert getattr(client, method)(url.format(**objects)).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(("method", "url", "access"), PAGES)
def test_physicians_read_but_change_nothing(client, objects, method, url, access):
    client.force_login(PhysicianFactory())
    before = snapshot()
    status = getattr(client, method)(url.format(**objects)).status_code
    if access == "read":
        assert status in (200, 302)
    else:
        assert status == 403
    assert snapshot() == before


@pytest.mark.parametrize(("method", "url", "access"), PAGES)
def test_front_desk_opens_every_page(client, objects, method, url, access):
    client.force_login(FrontDeskFactory())
    status = getattr(client, method)(url.format(**objects)).status_code
    assert status in (200, 302, 400)  # 400: an empty form posted, answered with its errors
