"""What the prior-authorization packet reads: the documents that stand, in order; which
document each answer came from; a document's bytes."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from intake.models import DocumentKind
from intake.roles import FRONT_DESK
from intake.selectors.documents import (
    answer_choices,
    document_for_answer,
    intake_documents,
    read_document_bytes,
)
from intake.services.documents import intake_document_attach, intake_document_withdraw
from tests.factories import IntakeFactory
from tests.intake.documents.conftest import image_bytes, pdf_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("documents_dir")]

TODAY = datetime.date(2025, 3, 14)


@pytest.fixture
def intake(default_set):
    return IntakeFactory()


@pytest.fixture
def desk(role_users):
    return role_users[FRONT_DESK]


@pytest.fixture
def codes(intake):
    (_section, questions), *_ = answer_choices(criteria_set=intake.criteria_set)
    return [code for code, _prompt in questions[:2]]


def attach(intake, user, kind, day, *, pages=1, answers_from=(), data=None):
    return intake_document_attach(
        intake_id=intake.pk,
        file=SimpleUploadedFile("f.pdf", data if data is not None else pdf_bytes(pages=pages)),
        kind=kind,
        document_date=datetime.date(2025, 3, day),
        answers_from=answers_from,
        user=user,
        today=TODAY,
    )


def test_documents_come_by_kind_then_date_without_the_withdrawn(intake, desk):
    lab = attach(intake, desk, DocumentKind.LAB, 1, pages=1)
    late_mri = attach(intake, desk, DocumentKind.MRI, 9, pages=2)
    referral = attach(intake, desk, DocumentKind.REFERRAL, 2, pages=3)
    early_mri = attach(intake, desk, DocumentKind.MRI, 3, pages=4)
    withdrawn = attach(intake, desk, DocumentKind.CT, 4, pages=5)
    intake_document_withdraw(
        intake_id=intake.pk, document_id=withdrawn.pk, reason="Wrong patient", user=desk
    )

    assert intake_documents(intake) == [early_mri, late_mri, referral, lab]
    assert intake_documents(intake.pk) == [early_mri, late_mri, referral, lab]


def test_another_intakes_documents_are_not_listed(intake, desk):
    attach(IntakeFactory(), desk, DocumentKind.MRI, 1)

    assert intake_documents(intake) == []
    assert document_for_answer(intake) == {}


def test_each_answer_points_at_the_latest_document_naming_it(intake, desk, codes):
    first, second = codes
    older = attach(intake, desk, DocumentKind.MRI, 1, pages=1, answers_from=[first, second])
    newer = attach(intake, desk, DocumentKind.CT, 5, pages=2, answers_from=[first])
    # Attached last but dated earliest: the date decides.
    attach(intake, desk, DocumentKind.XRAY, 1, pages=3)

    assert document_for_answer(intake) == {first: newer.pk, second: older.pk}


def test_a_withdrawn_document_supports_no_answer(intake, desk, codes):
    first, _second = codes
    kept = attach(intake, desk, DocumentKind.MRI, 1, pages=1, answers_from=[first])
    withdrawn = attach(intake, desk, DocumentKind.MRI, 5, pages=2, answers_from=[first])
    intake_document_withdraw(
        intake_id=intake.pk, document_id=withdrawn.pk, reason="Wrong patient", user=desk
    )

    assert document_for_answer(intake) == {first: kept.pk}


def test_a_documents_bytes_are_read_from_storage(intake, desk):
    data = image_bytes("JPEG")
    document = attach(intake, desk, DocumentKind.XRAY, 1, data=data)

    assert read_document_bytes(document) == data
