"""The packet PDF read back with pypdf: its pages, the criteria table's text in order, the
footer on every page (appended ones too), the draft marking, unreadable attachments, and
criteria text printed as it was written."""

from __future__ import annotations

import dataclasses
import io

import pytest
from pypdf import PdfReader, PdfWriter

from authorization.content import MET, NOT_DOCUMENTED, NOT_MET, PacketCriterion
from authorization.pdf import IMAGE_MAX_PIXELS_LONG_SIDE, packet_pdf
from tests.authorization.sample_content import (
    GAP,
    MET_CRITERIA,
    MRI,
    XRAY,
    document,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    sample_packet_content,
    text_pdf_bytes,
)

FOOTER = (
    "Percutaneous vertebroplasty, criteria version 3 · LCD L38201, revised 2026-01-01 · "
    "Packet 41, revision 2"
)


def read_back(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def squeezed(text: str) -> str:
    """Text without any whitespace: a long word may wrap anywhere in a table cell."""
    return "".join(text.split())


def page_texts(data: bytes) -> list[str]:
    """Each page's text with its whitespace (line breaks of wrapped cells) made single spaces."""
    return [" ".join(page.extract_text().split()) for page in read_back(data).pages]


def criterion(code: str, wording: str, status: str = MET, reason: str = "") -> PacketCriterion:
    return PacketCriterion(
        rule_code=code, wording=wording, citation=f"Policy, {code}", status=status, reason=reason
    )


def encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(text_pdf_bytes("Locked report")))
    writer.encrypt(user_password=user_password, owner_password="owner-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pages_are_cover_table_appended_pdf_pages_then_image_page(packet_content):
    """Cover sheet, criteria table, the MRI's two pages, the X-ray on a page of its own."""
    texts = page_texts(packet_pdf(packet_content))

    assert len(texts) == 5
    assert texts[0].startswith("Prior authorization request")
    assert texts[1].startswith("Coverage criteria")
    assert texts[2].startswith("MRI report page 1: top line")
    assert texts[3].startswith("MRI report page 2: top line")
    assert texts[4].startswith("Document 2: X-ray report, 2026-10-28 Lumbar spine X-ray")


def test_cover_sheet_names_patient_payer_order_codes_and_the_gap(packet_content):
    """The cover says who, for whom, what and which criterion is missing, before anything else."""
    cover = page_texts(packet_pdf(packet_content))[0]

    for fact in (
        "Patient Maria Lopez",
        "Date of birth 1946-06-01",
        "Sex Female",
        "MRN MRN-000123",
        "Payer Medicare Part B (Novitas)",
        "Member id 1EG4-TE5-MK73",
        "Ordering physician Dr Sam Okafor",
        "NPI 1234567893",
        "Place of service 22 - On campus outpatient hospital",
        "Planned date 2026-12-14",
        "Technique Vertebroplasty",
        "22511 Percutaneous vertebroplasty, lumbosacral 1",
        "M80.08XA Age-related osteoporosis with vertebral fracture",
        "M48.56XA Collapsed vertebra, lumbar region",
        "Document 1: MRI report, 2026-11-02: MRI thoracolumbar spine",
    ):
        assert fact in cover
    assert (
        "1 of 4 coverage criteria not met or not documented: "
        "A bone density evaluation has been done or ordered. (not documented)"
    ) in cover
    assert cover.index("coverage criteria not met") < cover.index("Patient Maria Lopez")


def test_cover_sheet_says_all_criteria_met_when_there_is_no_gap():
    """With every criterion met the summary says so, and no gap is named."""
    content = sample_packet_content(criteria=MET_CRITERIA)

    cover = page_texts(packet_pdf(content))[0]

    assert "All 3 coverage criteria met" in cover
    assert "not met or not documented" not in cover


def test_criteria_table_lists_gaps_first_then_met_with_their_evidence():
    """Not met and not documented criteria come first (in their order), then the met ones,
    each with its citation, a gap's reason, the answers and the supporting documents."""
    criteria = (
        criterion("a", "Alpha criterion is met."),
        criterion("b", "Bravo criterion is not met.", NOT_MET, "Bravo value 3 is below 5."),
        criterion("c", "Charlie criterion is met."),
        criterion("d", "Delta criterion is not documented.", NOT_DOCUMENTED, "Delta is blank."),
        MET_CRITERIA[0],
    )
    content = sample_packet_content(criteria=criteria)

    table = page_texts(packet_pdf(content))[1]

    order = [
        "Not met Bravo criterion is not met. Policy, b Reason: Bravo value 3 is below 5.",
        "Not documented Delta criterion is not documented. Policy, d Reason: Delta is blank.",
        "Met Alpha criterion is met. Policy, a",
        "Met Charlie criterion is met. Policy, c",
        "Met A vertebral compression fracture is confirmed on imaging. LCD L38201, indication 1",
    ]
    positions = [table.index(row) for row in order]
    assert positions == sorted(positions)
    assert (
        "Compression fracture confirmed on imaging: Yes Imaging report; entered by Dana Front on "
        "2026-11-03 14:05 UTC; from Document 1: MRI report, 2026-11-02"
    ) in table
    assert (
        "Supporting: Document 1: MRI report, 2026-11-02 "
        "Supporting: Document 2: X-ray report, 2026-10-28"
    ) in table


def test_every_page_has_the_footer_appended_pages_too(packet_content):
    """Page N of M, the criteria version, the coverage policy's revision and the packet's
    revision on each page, and an appended page's own text is still all there."""
    texts = page_texts(packet_pdf(packet_content))

    for number, text in enumerate(texts, 1):
        assert f"{FOOTER} Page {number} of 5" in text
    assert "MRI report page 2: top line MRI report page 2: bottom line" in texts[3]


def test_appended_page_keeps_its_size_and_its_content_above_the_footer():
    """An A4 landscape page stays A4 landscape; its bottom line stays above the footer band."""
    scan = document(
        21,
        data=text_pdf_bytes("Landscape scan", size="A4 landscape", height="7.5in"),
        title="Old report",
    )
    reader = read_back(packet_pdf(sample_packet_content(documents=(scan,))))
    page = reader.pages[2]

    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    heights = []
    page.extract_text(
        visitor_text=lambda text, cm, tm, *_: heights.append((text, cm[5] + tm[5] * cm[3]))
    )
    [bottom_line] = [y for text, y in heights if "bottom line" in text]
    [footer] = [y for text, y in heights if "Page 3 of 3" in text]
    assert footer < 54 < bottom_line


def test_rotated_page_is_appended_upright_with_its_footer():
    """A page stored with /Rotate 90 is turned into its content: the footer reads upright."""
    writer = PdfWriter(clone_from=io.BytesIO(text_pdf_bytes("Sideways fax")))
    writer.pages[0].rotate(90)
    out = io.BytesIO()
    writer.write(out)
    fax = document(22, data=out.getvalue(), title="Fax")

    data = packet_pdf(sample_packet_content(documents=(fax,)))

    page = read_back(data).pages[2]
    assert page.rotation == 0
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (792, 612)
    assert f"{FOOTER} Page 3 of 3" in page_texts(data)[2]


def test_draft_is_marked_on_every_page():
    """Without an attestation each page, appended ones too, says it is a draft."""
    data = packet_pdf(sample_packet_content(attestation=None))

    texts = page_texts(data)
    assert all("Draft: not attested" in text for text in texts)
    assert "Draft: not attested. No physician has attested this packet." in texts[1]


def test_attested_packet_shows_the_attestation_and_no_draft_marking(packet_content):
    """An attested packet prints the statement, physician, NPI, date and typed confirmation."""
    texts = page_texts(packet_pdf(packet_content))

    assert not any("Draft" in text for text in texts)
    assert (
        "Physician attestation I attest that this procedure is medically necessary for this "
        "patient. Physician Dr Sam Okafor NPI 1234567893 Date 2026-11-05 16:00 UTC "
        "Typed confirmation Sam Okafor"
    ) in texts[1]


def test_unreadable_attachments_become_pages_saying_why():
    """A damaged PDF, a password-protected one, a file the storage cannot read, a broken image
    and another type: one page each saying why, and the documents after them still appended."""

    def unreadable() -> bytes:
        raise OSError("gone")

    documents = (
        document(31, data=b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a PDF"),
        document(32, data=encrypted_pdf("patient-secret")),
        dataclasses.replace(document(33, data=b""), read=unreadable),
        document(34, data=b"\x89PNG\r\n\x1a\n broken", content_type="image/png"),
        document(35, data=b"GIF89a", content_type="image/gif"),
        MRI,
    )

    texts = page_texts(packet_pdf(sample_packet_content(documents=documents)))

    assert len(texts) == 2 + 5 + 2
    reasons = [
        "the file is damaged or is not a readable PDF",
        "it is encrypted with a password",
        "the stored file could not be read",
        "the file is damaged or is not a readable image",
        "its type (image/gif) cannot be appended",
    ]
    for number, (text, reason) in enumerate(zip(texts[2:7], reasons, strict=True), 1):
        assert text.startswith(f"Document {number}: MRI report, 2026-11-02")
        assert f"This document could not be appended: {reason}." in text
        assert f"Page {number + 2} of 9" in text
    assert texts[7].startswith("MRI report page 1: top line")


def test_pdf_protected_only_by_an_owner_password_is_appended():
    """A PDF that opens without a password (only its owner password is set) is appended."""
    locked = document(36, data=encrypted_pdf(""))

    texts = page_texts(packet_pdf(sample_packet_content(documents=(locked,))))

    assert texts[2].startswith("Locked report: top line")


def test_images_fit_their_page_and_large_ones_are_downscaled():
    """A JPEG of 3000 x 4000 pixels takes one page and is embedded at most 2400 pixels high;
    a small PNG is scaled up to the same box."""
    photo = document(41, data=jpeg_bytes((3000, 4000)), content_type="image/jpeg")
    small = document(42, data=png_bytes((200, 100)), content_type="image/png")

    reader = read_back(packet_pdf(sample_packet_content(documents=(photo, small))))

    assert len(reader.pages) == 4
    [embedded] = reader.pages[2].images
    assert embedded.image.size == (1800, IMAGE_MAX_PIXELS_LONG_SIDE)
    assert [image.image.size for image in reader.pages[3].images] == [(200, 100)]


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script> & <b>bold</b>",
        "{{ content.patient_mrn }} {% now 'Y' %}",
    ],
)
def test_criteria_text_is_printed_as_written(hostile):
    """Criteria text is data from another person: markup and template syntax print literally."""
    wording = dataclasses.replace(GAP, wording=hostile, reason=hostile, citation="Cite")

    texts = page_texts(packet_pdf(sample_packet_content(criteria=(wording,), documents=())))

    assert squeezed(f"Not documented {hostile} Cite Reason: {hostile}") in squeezed(texts[1])
    assert squeezed(f"{hostile} (not documented)") in squeezed(texts[0])


def test_packet_without_documents_or_codes_is_cover_and_table():
    """Nothing attached: two pages; no codes: the tables say none."""
    content = sample_packet_content(documents=(), procedure_codes=(), diagnosis_codes=())

    texts = page_texts(packet_pdf(content))

    assert len(texts) == 2
    assert "Procedure codes (CPT) Code Description Units None" in texts[0]
    assert "Attached documents None" in texts[0]


def test_blank_pdf_attachment_pages_are_counted(packet_content):
    """Blank pages are appended as pages (a scan's empty back side still counts)."""
    blanks = document(51, data=pdf_bytes(3))

    texts = page_texts(packet_pdf(sample_packet_content(documents=(blanks, XRAY))))

    assert len(texts) == 2 + 3 + 1
    assert texts[4] == f"{FOOTER} Page 5 of 6"


def test_packet_without_coverage_criteria_says_so():
    """A set that names no coverage criteria is not summarised as "all met"."""
    texts = page_texts(packet_pdf(sample_packet_content(criteria=(), documents=())))

    assert "No coverage criteria: the criteria set names none." in texts[0]
    assert "All 0" not in texts[0]
