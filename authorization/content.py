"""What a prior-authorization packet says, as plain data.

``authorization.selectors.packet_content`` builds a :class:`PacketContent` from an intake, its
screening, its criteria set and its documents (or from an attested revision's frozen copy); the
web page, the PDF (``authorization.pdf``) and the FHIR bundle (``authorization.fhir_bundle``)
all render this one structure, so they cannot disagree. No Django here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# A coverage criterion's standing in the packet.
MET = "met"
NOT_MET = "not_met"
NOT_DOCUMENTED = "not_documented"
CRITERION_STATUS_LABELS = {
    MET: "Met",
    NOT_MET: "Not met",
    NOT_DOCUMENTED: "Not documented",
}


@dataclass(frozen=True)
class PacketAnswer:
    """One answer a criterion rests on, with where it came from."""

    question_code: str
    prompt: str
    value: Any  # the stored JSON value (None when unanswered)
    value_text: str  # as people read it ("Yes", "7 / 10", "2026-11-02", "Not answered")
    source: str  # "Patient", "Chart or referral letter", "Imaging report", "Clinician"
    entered_by: str  # the staff member who entered it ("" when unknown)
    entered_at: datetime | None
    document_id: int | None = None  # the attached document it was taken from


@dataclass(frozen=True)
class PacketCriterion:
    """One coverage criterion of the criteria set, as the payer reads it."""

    rule_code: str
    wording: str  # payer-facing wording, from the criteria set
    citation: str  # e.g. "LCD L38201, indication 1"
    status: str  # MET, NOT_MET or NOT_DOCUMENTED
    reason: str  # the engine's explanation (with values) when not met or not documented
    answers: tuple[PacketAnswer, ...] = ()
    document_ids: tuple[int, ...] = ()  # supporting documents, in packet order

    @property
    def status_label(self) -> str:
        return CRITERION_STATUS_LABELS[self.status]

    @property
    def is_gap(self) -> bool:
        return self.status != MET


@dataclass(frozen=True)
class PacketCode:
    """A procedure (CPT) or diagnosis (ICD-10-CM) code."""

    code: str
    description: str
    units: int | None = None  # procedure codes only


@dataclass(frozen=True)
class PacketDocument:
    """An attached document, appended to the PDF in this order."""

    id: int
    kind: str  # "mri", "ct", ...
    kind_label: str  # "MRI report"
    document_date: date
    title: str
    content_type: str  # application/pdf, image/jpeg or image/png
    attached_by: str
    attached_at: datetime
    read: Callable[[], bytes] = field(repr=False, compare=False, default=lambda: b"")


@dataclass(frozen=True)
class PacketAttestation:
    physician_name: str
    physician_npi: str
    attested_at: datetime
    statement: str  # the statement of medical necessity, from the set's content
    confirmation: str  # what the physician typed


@dataclass(frozen=True)
class PacketContent:
    # The packet
    packet_id: int
    revision: int
    status_label: str  # "Draft", "Attested", ...
    # Patient and payer
    patient_name: str
    patient_birth_date: date
    patient_sex_label: str
    patient_mrn: str
    payer: str
    member_id: str
    # Order
    ordering_physician: str
    ordering_physician_npi: str
    place_of_service: str  # "22 - On campus outpatient hospital"
    planned_date: date | None
    technique: str  # the coding table's technique label
    procedure_codes: tuple[PacketCode, ...]
    diagnosis_codes: tuple[PacketCode, ...]
    # The evidence: gaps (not met, not documented) first, then the met criteria
    criteria: tuple[PacketCriterion, ...]
    documents: tuple[PacketDocument, ...]
    # Where it comes from
    intake_id: int
    screened_at: datetime | None
    outcome_label: str
    criteria_label: str  # the procedure's name, as the criteria set gives it
    criteria_version: int
    coverage_policy: str  # "LCD L38201"
    coverage_policy_revised: date | None
    generated_at: datetime
    attestation: PacketAttestation | None = None

    @property
    def gaps(self) -> tuple[PacketCriterion, ...]:
        return tuple(criterion for criterion in self.criteria if criterion.is_gap)

    def document(self, document_id: int) -> PacketDocument | None:
        return next((d for d in self.documents if d.id == document_id), None)
