"""A packet's content as JSON and back: what an attestation freezes.

Documents are kept by reference (their id and what the packet said of them); their bytes are
read from storage when the PDF or the bundle is made, and documents are never changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from authorization.content import (
    PacketAnswer,
    PacketAttestation,
    PacketCode,
    PacketContent,
    PacketCriterion,
    PacketDocument,
)

_DATES = {"patient_birth_date", "planned_date", "coverage_policy_revised", "document_date"}
_TIMES = {"screened_at", "generated_at", "entered_at", "attested_at", "attached_at"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "read"
        }
    return value


def content_to_json(content: PacketContent) -> dict[str, Any]:
    return _plain(content)


def _typed(data: dict[str, Any]) -> dict[str, Any]:
    typed = dict(data)
    for name in _DATES & typed.keys():
        typed[name] = date.fromisoformat(typed[name]) if typed[name] else None
    for name in _TIMES & typed.keys():
        typed[name] = datetime.fromisoformat(typed[name]) if typed[name] else None
    return typed


def content_from_json(
    data: dict[str, Any], read_document: Callable[[int], Callable[[], bytes]]
) -> PacketContent:
    """The frozen content back, each document's ``read`` given by ``read_document(id)``."""
    fields = _typed(data)
    fields["procedure_codes"] = tuple(PacketCode(**c) for c in data["procedure_codes"])
    fields["diagnosis_codes"] = tuple(PacketCode(**c) for c in data["diagnosis_codes"])
    fields["criteria"] = tuple(
        PacketCriterion(
            **{
                **criterion,
                "answers": tuple(PacketAnswer(**_typed(a)) for a in criterion["answers"]),
                "document_ids": tuple(criterion["document_ids"]),
            }
        )
        for criterion in data["criteria"]
    )
    fields["documents"] = tuple(
        PacketDocument(**_typed(d), read=read_document(d["id"])) for d in data["documents"]
    )
    attestation = data.get("attestation")
    fields["attestation"] = PacketAttestation(**_typed(attestation)) if attestation else None
    return PacketContent(**fields)
