"""A realistic packet as plain data (``PacketContent``), for the PDF and bundle tests and for
the README's sample: a candidate for vertebroplasty with one gap (the bone density test is not
documented), an MRI report as a two-page PDF and an X-ray as a PNG attached.

``sample_packet_content(**changes)`` returns it; keyword arguments replace fields
(``attestation=None`` for a draft, ``documents=(...)`` for other attachments).
"""

from __future__ import annotations

import dataclasses
import datetime
import io
from collections.abc import Callable

from PIL import Image
from pypdf import PdfWriter
from weasyprint import HTML

from authorization.content import (
    MET,
    NOT_DOCUMENTED,
    PacketAnswer,
    PacketAttestation,
    PacketCode,
    PacketContent,
    PacketCriterion,
    PacketDocument,
)

UTC = datetime.UTC
ENTERED_AT = datetime.datetime(2026, 11, 3, 14, 5, tzinfo=UTC)


def pdf_bytes(pages: int = 1, *, size: tuple[float, float] = (612, 792)) -> bytes:
    """A PDF of blank pages (US Letter unless ``size`` says otherwise)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=size[0], height=size[1])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def text_pdf_bytes(*page_texts: str, size: str = "letter", height: str = "9.8in") -> bytes:
    """A PDF with one page per text, each text at the top and the bottom of its page (so a
    test can see that the footer covers neither); ``height``: the page's height less 1.2in."""
    pages = "".join(
        f'<div class="page"><p>{text}: top line</p><p class="bottom">{text}: bottom line</p></div>'
        for text in page_texts
    )
    html = (
        f"<style>@page {{ size: {size}; margin: 0.5in; }} .page {{ height: {height}; position: relative;"
        " break-after: page; } .bottom { position: absolute; bottom: 0; margin: 0; }</style>"
        + pages
    )
    return HTML(string=html).write_pdf()


def png_bytes(size: tuple[int, int] = (400, 300), colour: str = "grey") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (300, 400), colour: str = "navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def document(
    document_id: int,
    *,
    data: bytes,
    content_type: str = "application/pdf",
    kind: str = "mri",
    kind_label: str = "MRI report",
    document_date: datetime.date = datetime.date(2026, 11, 2),
    title: str = "MRI thoracolumbar spine",
) -> PacketDocument:
    read: Callable[[], bytes] = lambda: data  # noqa: E731
    return PacketDocument(
        id=document_id,
        kind=kind,
        kind_label=kind_label,
        document_date=document_date,
        title=title,
        content_type=content_type,
        attached_by="Dana Front",
        attached_at=datetime.datetime(2026, 11, 3, 9, 0, tzinfo=UTC),
        read=read,
    )


def answer(code: str, prompt: str, value, value_text: str, source: str, document_id=None):
    return PacketAnswer(
        question_code=code,
        prompt=prompt,
        value=value,
        value_text=value_text,
        source=source,
        entered_by="Dana Front",
        entered_at=ENTERED_AT,
        document_id=document_id,
    )


MRI = document(11, data=text_pdf_bytes("MRI report page 1", "MRI report page 2"))
XRAY = document(
    12,
    data=png_bytes(),
    content_type="image/png",
    kind="xray",
    kind_label="X-ray report",
    document_date=datetime.date(2026, 10, 28),
    title="Lumbar spine X-ray",
)

GAP = PacketCriterion(
    rule_code="td_bone_density",
    wording="A bone density evaluation has been done or ordered.",
    citation="LCD L38201, indication 6",
    status=NOT_DOCUMENTED,
    reason="No bone density test is recorded.",
    answers=(
        answer(
            "bone_density_done",
            "Bone density (DEXA) test done",
            None,
            "Not answered",
            "Chart or referral letter",
        ),
    ),
)
MET_CRITERIA = (
    PacketCriterion(
        rule_code="pre_fracture_confirmed",
        wording="A vertebral compression fracture is confirmed on imaging.",
        citation="LCD L38201, indication 1",
        status=MET,
        reason="",
        answers=(
            answer(
                "fracture_confirmed",
                "Compression fracture confirmed on imaging",
                True,
                "Yes",
                "Imaging report",
                document_id=11,
            ),
        ),
        document_ids=(11, 12),
    ),
    PacketCriterion(
        rule_code="pre_unhealed",
        wording="MRI shows marrow edema at the fractured level.",
        citation="LCD L38201, indication 2",
        status=MET,
        reason="",
        answers=(
            answer(
                "edema_or_uptake",
                "MRI marrow edema or uptake at the level",
                "yes",
                "Yes",
                "Imaging report",
                document_id=11,
            ),
        ),
        document_ids=(11,),
    ),
    PacketCriterion(
        rule_code="pw_outpatient_worsening",
        wording="Severe pain (NRS 5 or more) worsening despite non-surgical care.",
        citation="LCD L38201, indication 3",
        status=MET,
        reason="",
        answers=(
            answer("pain_nrs", "Pain from the fracture, 0 to 10", 8, "8 / 10", "Patient"),
            answer("pain_trend", "Pain over the last 2 weeks", "worsening", "Worsening", "Patient"),
        ),
    ),
)

ATTESTATION = PacketAttestation(
    physician_name="Dr Sam Okafor",
    physician_npi="1234567893",
    attested_at=datetime.datetime(2026, 11, 5, 16, 0, tzinfo=UTC),
    statement="I attest that this procedure is medically necessary for this patient.",
    confirmation="Sam Okafor",
)


def sample_packet_content(**changes) -> PacketContent:
    """A candidate's packet with one gap, two documents, attested (``attestation=None``: a
    draft)."""
    content = PacketContent(
        packet_id=41,
        revision=2,
        status_label="Attested",
        patient_name="Maria Lopez",
        patient_birth_date=datetime.date(1946, 6, 1),
        patient_sex_label="Female",
        patient_mrn="MRN-000123",
        payer="Medicare Part B (Novitas)",
        member_id="1EG4-TE5-MK73",
        ordering_physician="Dr Sam Okafor",
        ordering_physician_npi="1234567893",
        place_of_service="22 - On campus outpatient hospital",
        planned_date=datetime.date(2026, 12, 14),
        technique="Vertebroplasty",
        procedure_codes=(PacketCode("22511", "Percutaneous vertebroplasty, lumbosacral", units=1),),
        diagnosis_codes=(
            PacketCode("M80.08XA", "Age-related osteoporosis with vertebral fracture"),
            PacketCode("M48.56XA", "Collapsed vertebra, lumbar region"),
        ),
        criteria=(GAP, *MET_CRITERIA),
        documents=(MRI, XRAY),
        intake_id=501,
        screened_at=datetime.datetime(2026, 11, 4, 10, 0, tzinfo=UTC),
        outcome_label="Appears to meet criteria",
        criteria_label="Percutaneous vertebroplasty",
        criteria_version=3,
        coverage_policy="LCD L38201",
        coverage_policy_revised=datetime.date(2026, 1, 1),
        generated_at=datetime.datetime(2026, 11, 5, 16, 5, tzinfo=UTC),
        attestation=ATTESTATION,
    )
    if changes.get("attestation", ATTESTATION) is None:
        changes.setdefault("status_label", "Draft")
    return dataclasses.replace(content, **changes)
