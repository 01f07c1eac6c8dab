"""Every document URL, by who asks and for which intake: the roles that work with documents
get them; anonymous users go to the login page; auditors, criteria admins and users without a
role get 403; a document asked for under another intake's id is a 404 (as one that does not
exist), and nothing is sent, changed or recorded as done. (The page-by-role table of the whole
product is tests/security/test_access_matrix.py.)"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from intake.models import AuditEvent, AuditOutcome, DocumentKind, IntakeDocument
from intake.roles import AUDITOR, AUTHORIZATION, CRITERIA_ADMIN, FRONT_DESK, PHYSICIAN
from intake.services.documents import intake_document_attach
from tests.factories import IntakeFactory, UserFactory
from tests.intake.documents.conftest import pdf_bytes, role_users  # noqa: F401 (a fixture)
from tests.intake.review.factories import submitted_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("documents_dir")]

ALLOWED = (FRONT_DESK, PHYSICIAN, AUTHORIZATION)
REFUSED = (AUDITOR, CRITERIA_ADMIN, "no role")


@pytest.fixture
def world(default_set, role_users):  # noqa: F811
    users = {**role_users, "no role": UserFactory(username="doc-norole")}
    intake = submitted_intake(outcome="candidate")
    other = IntakeFactory()
    document = intake_document_attach(
        intake_id=intake.pk,
        file=SimpleUploadedFile("report.pdf", pdf_bytes()),
        kind=DocumentKind.MRI,
        document_date=datetime.date(2025, 3, 1),
        user=users[FRONT_DESK],
        today=datetime.date(2025, 3, 14),
    )
    return users, intake, other, document


def urls(intake_id: int, document_id: int) -> dict[str, str]:
    return {
        "attach": reverse("intake:document-attach", args=[intake_id]),
        "download": reverse("intake:document-download", args=[intake_id, document_id]),
        "withdraw": reverse("intake:document-withdraw", args=[intake_id, document_id]),
    }


def client_of(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who", ALLOWED)
def test_the_document_roles_open_every_document_url(world, who):
    users, intake, _other, document = world
    client = client_of(users[who])
    pages = urls(intake.pk, document.pk)

    assert client.get(pages["attach"]).status_code == 200
    download = client.get(pages["download"])
    assert download.status_code == 200
    assert (
        b"".join(download.streaming_content)
        == document.file.storage.open(document.file.name).read()
    )
    assert client.get(pages["withdraw"]).status_code == 200


@pytest.mark.parametrize("who", REFUSED)
def test_other_roles_get_no_document(world, who):
    users, intake, _other, document = world
    client = client_of(users[who])

    for url in urls(intake.pk, document.pk).values():
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"reason": "x"}).status_code in (403, 405), url
    document.refresh_from_db()
    assert not document.withdrawn


def test_anonymous_users_are_sent_to_the_login_page(world):
    _users, intake, _other, document = world

    for url in urls(intake.pk, document.pk).values():
        response = client_of(None).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("who", ALLOWED)
def test_a_document_under_another_intakes_id_is_a_404(world, who):
    users, _intake, other, document = world
    client = client_of(users[who])
    pages = urls(other.pk, document.pk)

    assert client.get(pages["download"]).status_code == 404
    assert client.get(pages["withdraw"]).status_code == 404
    assert client.post(pages["withdraw"], {"reason": "Wrong patient"}).status_code == 404
    document.refresh_from_db()
    assert not document.withdrawn
    refused = AuditEvent.objects.filter(outcome=AuditOutcome.REFUSED, object_id=str(other.pk))
    assert refused.count() == 3


@pytest.mark.parametrize("who", ALLOWED)
def test_ids_that_do_not_exist_are_404s(world, who):
    users, intake, _other, _document = world
    client = client_of(users[who])
    missing = IntakeDocument.objects.order_by("-pk").first().pk + 1

    assert client.get(reverse("intake:document-attach", args=[intake.pk + 999])).status_code == 404
    for name in ("download", "withdraw"):
        assert client.get(urls(intake.pk, missing)[name]).status_code == 404
