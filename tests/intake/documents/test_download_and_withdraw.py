"""Downloading a document (its bytes, as the type they showed, never cached, never sniffed),
withdrawing one attached by mistake, and the audit log of both and of attaching."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from intake.models import (
    AuditAction,
    AuditEvent,
    DocumentKind,
    ImmutableDecisionError,
    IntakeDocument,
)
from intake.roles import AUTHORIZATION, FRONT_DESK, PHYSICIAN
from intake.selectors.documents import answer_choices, intake_documents
from intake.services.documents import intake_document_attach
from tests.factories import IntakeFactory
from tests.intake.changed_once import assert_changed_only_once
from tests.intake.documents.conftest import image_bytes, pdf_bytes
from tests.intake.review.factories import submitted_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("documents_dir")]

TODAY = datetime.date(2025, 3, 14)


def attached(intake, user, *, data=None, name="Smith MRI.pdf", kind=DocumentKind.MRI, **extra):
    return intake_document_attach(
        intake_id=intake.pk,
        file=SimpleUploadedFile(name, data if data is not None else pdf_bytes()),
        kind=kind,
        document_date=extra.pop("document_date", datetime.date(2025, 3, 1)),
        user=user,
        today=TODAY,
        **extra,
    )


def client_of(user):
    client = Client()
    client.force_login(user)
    return client


def download_url(document):
    return reverse("intake:document-download", args=[document.intake_id, document.pk])


def withdraw_url(document):
    return reverse("intake:document-withdraw", args=[document.intake_id, document.pk])


@pytest.mark.parametrize("role", [FRONT_DESK, PHYSICIAN, AUTHORIZATION])
def test_the_download_is_the_file_never_cached_nor_sniffed(default_set, role_users, role):
    data = pdf_bytes(pages=2)
    document = attached(IntakeFactory(), role_users[FRONT_DESK], data=data)

    response = client_of(role_users[role]).get(download_url(document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Smith MRI.pdf"'
    assert "no-store" in response["Cache-Control"].split(", ")
    assert "private" in response["Cache-Control"].split(", ")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_png_sent_as_pdf_downloads_as_a_png(default_set, role_users):
    document = attached(
        IntakeFactory(), role_users[FRONT_DESK], data=image_bytes("PNG"), name="scan.pdf"
    )

    response = client_of(role_users[FRONT_DESK]).get(download_url(document))

    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="scan.png"'


@pytest.mark.parametrize(
    ("sent_as", "saved_as"),
    [
        ('../../etc/"passwd".pdf', "passwd.png"),
        ("C:\\Users\\desk\\Müller röntgen.pdf", "Muller rontgen.png"),
        ("\r\nSet-Cookie: x=1.pdf", "Set-Cookie_ x_1.png"),
        ("....pdf", "document-{id}.png"),
    ],
)
def test_the_download_name_is_made_safe(default_set, role_users, sent_as, saved_as):
    document = attached(
        IntakeFactory(), role_users[FRONT_DESK], data=image_bytes("PNG"), name=sent_as
    )

    response = client_of(role_users[FRONT_DESK]).get(download_url(document))

    expected = saved_as.format(id=document.pk)
    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'


def test_a_file_missing_from_storage_is_a_404_not_a_500(default_set, role_users, documents_dir):
    document = attached(IntakeFactory(), role_users[FRONT_DESK])
    (documents_dir / document.file.name).unlink()
    client = Client(raise_request_exception=False)
    client.force_login(role_users[FRONT_DESK])

    assert client.get(download_url(document)).status_code == 404


def test_attaching_downloading_and_withdrawing_are_audited(default_set, role_users):
    desk = role_users[FRONT_DESK]
    intake = IntakeFactory()
    client = client_of(desk)
    client.post(
        reverse("intake:document-attach", args=[intake.pk]),
        {
            "kind": DocumentKind.CT,
            "document_date": "2025-03-02",
            "file": SimpleUploadedFile("ct.pdf", pdf_bytes()),
        },
    )
    document = IntakeDocument.objects.get()
    client.get(download_url(document))
    client.post(withdraw_url(document), {"reason": "Another patient's report"})

    events = list(
        AuditEvent.objects.filter(object_type="intake.intakedocument").values_list(
            "action", "object_id", "patient_id", "user_id", "part", "changes"
        )
    )
    assert events == [
        (AuditAction.CREATE, str(document.pk), intake.patient_id, desk.pk, "document", {}),
        (AuditAction.VIEW, str(document.pk), intake.patient_id, desk.pk, "document", {}),
        (
            AuditAction.CHANGE,
            str(document.pk),
            intake.patient_id,
            desk.pk,
            "document",
            {"withdrawn_reason": ["", "Another patient's report"]},
        ),
    ]
    # No event's detail holds the name the file was sent with.
    assert not AuditEvent.objects.filter(detail__contains="ct.pdf").exists()


def test_a_withdrawn_document_is_kept_struck_through_and_left_out_of_the_packet(
    default_set, role_users
):
    desk, coordinator = role_users[FRONT_DESK], role_users[AUTHORIZATION]
    intake = submitted_intake(outcome="candidate")
    kept = attached(intake, desk, kind=DocumentKind.CT, title="Kept CT")
    mistaken = attached(intake, desk, data=pdf_bytes(pages=2), title="Wrong patient")

    response = client_of(coordinator).post(
        withdraw_url(mistaken) + "?from=case", {"reason": "Another patient's report"}
    )

    assert response.status_code == 302
    mistaken.refresh_from_db()
    assert mistaken.withdrawn_by == coordinator
    assert mistaken.withdrawn_reason == "Another patient's report"
    assert intake_documents(intake) == [kept]
    page = client_of(desk).get(reverse("intake:intake-detail", args=[intake.pk])).content.decode()
    assert "<del>" in page
    assert "Wrong patient" in page
    assert (
        f"Withdrawn by {coordinator.get_full_name()} on "
        f"{mistaken.withdrawn_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M}: "
        "Another patient&#x27;s report"
    ) in page
    # Still on record: it downloads.
    assert client_of(desk).get(download_url(mistaken)).status_code == 200


def test_withdrawing_needs_a_reason_and_changes_nothing_without_one(default_set, role_users):
    document = attached(IntakeFactory(), role_users[FRONT_DESK])

    response = client_of(role_users[PHYSICIAN]).post(withdraw_url(document), {"reason": "  "})

    assert response.status_code == 400
    assert "Reason: say why the document is withdrawn." in response.content.decode()
    document.refresh_from_db()
    assert not document.withdrawn


def test_withdrawing_twice_keeps_the_first_withdrawal(default_set, role_users):
    document = attached(IntakeFactory(), role_users[FRONT_DESK])
    client = client_of(role_users[FRONT_DESK])
    client.post(withdraw_url(document), {"reason": "Attached twice"})
    client.post(withdraw_url(document), {"reason": "Second try"})

    document.refresh_from_db()
    assert document.withdrawn_reason == "Attached twice"
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE, part="document").count() == 1


def test_a_document_is_never_deleted(default_set, role_users):
    document = attached(IntakeFactory(), role_users[FRONT_DESK])

    with pytest.raises(ImmutableDecisionError):
        document.delete()
    with pytest.raises(ImmutableDecisionError):
        IntakeDocument.objects.filter(pk=document.pk).delete()
    assert IntakeDocument.objects.filter(pk=document.pk).exists()


def test_the_intake_pages_list_the_documents_with_what_they_support(default_set, role_users):
    desk, physician = role_users[FRONT_DESK], role_users[PHYSICIAN]
    intake = submitted_intake(outcome="candidate")
    (_section, questions), *_ = answer_choices(criteria_set=intake.criteria_set)
    code, prompt = questions[0]
    attached(intake, desk, title="Thoracic MRI", answers_from=[code])

    for client, url in (
        (client_of(desk), reverse("intake:intake-detail", args=[intake.pk])),
        (client_of(physician), reverse("review:case", args=[intake.pk])),
        (client_of(role_users[AUTHORIZATION]), reverse("intake:intake-detail", args=[intake.pk])),
    ):
        page = client.get(url).content.decode()
        assert "Documents (1)" in page
        assert "MRI report</strong>, 2025-03-01 · Thoracic MRI" in page
        assert f"Attached by {desk.get_full_name()}" in page
        assert f"Answers taken from it: {escape(prompt)}" in page
        assert reverse("intake:document-attach", args=[intake.pk]) in page


@pytest.mark.postgres_only
def test_below_python_a_document_is_only_ever_withdrawn_once(default_set, role_users):
    """On PostgreSQL a trigger refuses raw deletes and changes; the withdrawal passes, once."""
    desk = role_users[FRONT_DESK]
    document = attached(IntakeFactory(), desk)
    assert_changed_only_once(
        pk=document.pk,
        refused=(
            "DELETE FROM intake_intakedocument WHERE id = %s",
            "UPDATE intake_intakedocument SET title = 'changed' WHERE id = %s",
        ),
        instead="withdraw it instead",
        change="UPDATE intake_intakedocument SET withdrawn_at = now(), withdrawn_by_id = %s, "
        "withdrawn_reason = 'Attached twice' WHERE id = %s",
        change_params=[desk.pk],
        change_again="UPDATE intake_intakedocument SET withdrawn_reason = 'other' WHERE id = %s",
    )
    document.refresh_from_db()
    assert (document.title, document.withdrawn_reason) == ("", "Attached twice")
