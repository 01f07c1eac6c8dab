"""Writes of attached documents: attach one (checked by its bytes), withdraw one attached by
mistake. Documents are never changed otherwise, nor deleted.

What is refused, as ValidationError naming the field: a file that is empty, larger than
``DOCUMENT_MAX_BYTES``, or not a PDF, JPEG or PNG file that opens (told from its bytes, never its
name or the type the browser claimed); a date in the future; answers named that are not
questions of the intake's criteria set. Sending the same document again (a second click, the
back button) returns the one already attached instead of a copy.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from intake.documents.content import NotADocument, detect_content
from intake.models import Intake, IntakeDocument
from screener.models import Question

ATTACH_PERMISSION = "intake.add_intakedocument"
WITHDRAW_PERMISSION = "intake.withdraw_intakedocument"


def size_text(size: int) -> str:
    """A size as people read it: 20 MB, 20.5 MB, 312 KB, 80 bytes."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def document_size_problem(*, name: str, size: int, oversized: bool = False) -> str | None:
    """Why a file of that size cannot be a document, or None."""
    limit = settings.DOCUMENT_MAX_BYTES
    if oversized or size > limit:
        return (
            f"File: {name or 'the file'} is {size_text(size)}; a document may be at most "
            f"{size_text(limit)}. Attach a smaller copy (for example scanned at a lower "
            "resolution), or split it."
        )
    if size == 0:
        return f"File: {name or 'the file'} is empty (0 bytes). Choose the file again."
    return None


def _answer_codes(*, intake: Intake, codes: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return []
    asked = {
        question.code: question
        for question in Question.objects.filter(criteria_set_id=intake.criteria_set_id)
    }
    unknown = [code for code in wanted if code not in asked or asked[code].filled_by_app]
    if unknown:
        raise ValidationError(
            {
                "answers_from": "Answers taken from this document: not questions of this "
                f"intake's criteria set: {', '.join(unknown)}."
            }
        )
    return wanted


@transaction.atomic
def intake_document_attach(
    *,
    intake_id: int,
    file: Any,
    kind: str,
    document_date: datetime.date,
    user: User,
    title: str = "",
    answers_from: Iterable[str] = (),
    today: datetime.date | None = None,
) -> IntakeDocument:
    """Attach ``file`` (an uploaded file) to the intake. Raises PermissionDenied for users who
    may not attach documents, Intake.DoesNotExist, ValidationError (field -> message)."""
    if not user.has_perm(ATTACH_PERMISSION):
        raise PermissionDenied(
            "Only front desk, physicians and authorization coordinators attach documents."
        )
    intake = Intake.objects.select_for_update(of=("self",)).get(pk=intake_id)
    name = getattr(file, "name", "") or ""
    problem = document_size_problem(
        name=name, size=file.size or 0, oversized=getattr(file, "oversized", False)
    )
    if problem:
        raise ValidationError({"file": problem})
    file.seek(0)
    data = file.read(settings.DOCUMENT_MAX_BYTES + 1)
    problem = document_size_problem(name=name, size=len(data))
    if problem:
        raise ValidationError({"file": problem})
    try:
        content = detect_content(data)
    except NotADocument as refused:
        raise ValidationError({"file": f"File: {name or 'the file'} {refused.reason}."}) from None
    today = today or timezone.localdate()
    if document_date > today:
        raise ValidationError(
            {"document_date": "Date of the document: it cannot be later than today."}
        )
    codes = _answer_codes(intake=intake, codes=answers_from)
    digest = hashlib.sha256(data).hexdigest()
    title = title.strip()
    same = IntakeDocument.objects.filter(
        intake=intake, sha256=digest, withdrawn_at__isnull=True
    ).first()
    if same is not None:
        if (same.kind, same.document_date, same.title, same.answers_from) == (
            kind,
            document_date,
            title,
            codes,
        ):
            return same  # sent twice: the first stands
        raise ValidationError(
            {
                "file": f"File: {name or 'this file'} is already attached to this intake, as the "
                f"{same.get_kind_display()} of {same.document_date:%Y-%m-%d}. Withdraw that one "
                "first to attach it differently."
            }
        )
    document = IntakeDocument(
        intake=intake,
        kind=kind,
        document_date=document_date,
        title=title,
        original_name=name[-255:],
        content_type=content.content_type,
        size=len(data),
        sha256=digest,
        answers_from=codes,
        attached_by=user,
        attached_at=timezone.now(),
    )
    document.full_clean(exclude=["file"])
    # The name is a random one (document_storage_name); the file is written before the row, and
    # removed again if the row cannot be written.
    document.file.save(name or "document", ContentFile(data), save=False)
    try:
        document.full_clean()
        with transaction.atomic():
            document.save()
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
    return document


@transaction.atomic
def intake_document_withdraw(
    *, intake_id: int, document_id: int, reason: str, user: User
) -> IntakeDocument:
    """Withdraw a document attached by mistake: kept, with who, when and why; left out of the
    packet. Withdrawing it again changes nothing. Raises PermissionDenied,
    IntakeDocument.DoesNotExist (not a document of that intake), ValidationError."""
    if not user.has_perm(WITHDRAW_PERMISSION):
        raise PermissionDenied("You may not withdraw documents.")
    document = IntakeDocument.objects.select_for_update().get(pk=document_id, intake_id=intake_id)
    if document.withdrawn:
        return document
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Reason: say why the document is withdrawn."})
    document.withdrawn_at = timezone.now()
    document.withdrawn_by = user
    document.withdrawn_reason = reason
    document.full_clean()
    document.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    return document
