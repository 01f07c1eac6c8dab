"""Reads of the documents attached to an intake: the intake's pages, the download, and the
prior-authorization packet (``intake_documents``, ``document_for_answer``,
``read_document_bytes``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from intake.models import (
    DOCUMENT_EXTENSIONS,
    DocumentKind,
    Intake,
    IntakeDocument,
)
from intake.names import person_name
from screener.models import CriteriaSet, Question

KIND_ORDER = {kind.value: position for position, kind in enumerate(DocumentKind)}
# What a download's name may keep of the name the file was sent with.
UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9 ._()-]+")
MAX_NAME_LENGTH = 100


def _documents(intake: Intake | int) -> QuerySet[IntakeDocument]:
    intake_id = intake.pk if isinstance(intake, Intake) else intake
    return IntakeDocument.objects.filter(intake_id=intake_id).select_related(
        "attached_by", "withdrawn_by"
    )


def _packet_order(document: IntakeDocument) -> tuple[int, object, int]:
    return (KIND_ORDER.get(document.kind, len(KIND_ORDER)), document.document_date, document.pk)


def intake_documents(intake: Intake | int) -> list[IntakeDocument]:
    """The intake's documents that stand (withdrawn ones left out), in the packet's order: by
    kind (``DocumentKind``'s order), then by date, then as attached."""
    return sorted(_documents(intake).filter(withdrawn_at__isnull=True), key=_packet_order)


def document_for_answer(intake: Intake | int) -> dict[str, int]:
    """Question code -> the id of the document its answer was taken from: of the documents
    that stand and name the question in ``answers_from``, the latest (by document date, then
    the latest attached)."""
    found: dict[str, int] = {}
    documents = (
        _documents(intake)
        .filter(withdrawn_at__isnull=True)
        .order_by("document_date", "attached_at", "id")
    )
    for document in documents:
        for code in document.answers_from:
            found[code] = document.pk  # later documents replace earlier ones
    return found


def read_document_bytes(document: IntakeDocument) -> bytes:
    """The document's file, whole, from its storage (the file system or the bucket)."""
    with document.file.storage.open(document.file.name, "rb") as stored:
        return stored.read()


def intake_document_get(*, intake_id: int, document_id: int) -> IntakeDocument | None:
    """The document, only when it belongs to that intake (None otherwise)."""
    return (
        IntakeDocument.objects.select_related("intake", "attached_by", "withdrawn_by")
        .filter(pk=document_id, intake_id=intake_id)
        .first()
    )


def download_name(document: IntakeDocument) -> str:
    """The name a download is saved under: the name the file was sent with, reduced to plain
    letters, digits and a few marks, ending in the extension of what the file is (a PNG sent as
    ``scan.pdf`` downloads as ``scan.png``); ``document-<id>`` when nothing is left of it."""
    extension = DOCUMENT_EXTENSIONS.get(document.content_type, "")
    name = unicodedata.normalize("NFKD", document.original_name.rsplit("/", 1)[-1])
    name = name.rsplit("\\", 1)[-1].encode("ascii", "ignore").decode()
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = UNSAFE_NAME_CHARACTERS.sub("_", stem).strip(" ._")[:MAX_NAME_LENGTH]
    return f"{stem or f'document-{document.pk}'}{extension}"


# --------------------------------------------------------------------------------------------
# The intake's pages


@dataclass(frozen=True)
class DocumentRow:
    document: IntakeDocument
    answers: list[str]  # the prompts of the questions answered from it
    attached_by: str
    withdrawn_by: str


def document_rows(*, intake: Intake, prompts: dict[str, str] | None = None) -> list[DocumentRow]:
    """Every document of the intake, withdrawn ones too (struck through on the page), in the
    packet's order. ``prompts`` (code -> prompt) saves a query when the page has them."""
    documents = sorted(_documents(intake), key=_packet_order)
    named = {code for document in documents for code in document.answers_from}
    if named and prompts is None:
        prompts = dict(
            Question.objects.filter(
                criteria_set_id=intake.criteria_set_id, code__in=named
            ).values_list("code", "prompt")
        )
    prompts = prompts or {}
    return [
        DocumentRow(
            document=document,
            answers=[prompts.get(code, code) for code in document.answers_from],
            attached_by=person_name(document.attached_by),
            withdrawn_by=person_name(document.withdrawn_by),
        )
        for document in documents
    ]


def answer_choices(*, criteria_set: CriteriaSet) -> list[tuple[str, list[tuple[str, str]]]]:
    """The questions an answer can be taken from a document for (those the app does not fill
    itself), by section in checklist order: [(section, [(code, prompt), ...]), ...]."""
    sections: dict[str, list[tuple[str, str]]] = {}
    questions: Iterable[Question] = criteria_set.question_set.order_by("order", "id")
    for question in questions:
        if not question.filled_by_app:
            sections.setdefault(question.section, []).append((question.code, question.prompt))
    return list(sections.items())
