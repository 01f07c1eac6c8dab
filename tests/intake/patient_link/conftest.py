import datetime

import pytest
import time_machine

from intake.patient_link import services
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory

NOON = datetime.datetime(2025, 3, 14, 12, 0, tzinfo=datetime.UTC)
BIRTH = datetime.date(1946, 6, 1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk(db):
    return FrontDeskFactory()


@pytest.fixture
def draft(default_set):
    return IntakeFactory(patient=PatientFactory(date_of_birth=BIRTH, sex="female"))


@pytest.fixture
def link_and_token(draft, desk):
    return services.patient_link_create(intake_id=draft.pk, user=desk)


@pytest.fixture
def token(link_and_token):
    return link_and_token[1]


@pytest.fixture
def patient_client(client, token):
    """A browser that opened the link and gave the right date of birth."""
    response = client.post(f"/p/{token}/", {"date_of_birth": BIRTH.isoformat()})
    assert response.status_code == 302, response.content.decode()[:500]
    return client
