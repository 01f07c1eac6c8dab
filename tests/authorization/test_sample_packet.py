"""A packet made the whole way, from an example case decided "proceed" with an MRI report
attached, to its PDF read back: the README's sample. With DOCS_SCREENSHOTS=1 (`make
screenshots`) it also writes docs/sample-packet.pdf and the picture of its first page."""

from __future__ import annotations

import datetime
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from authorization import selectors, services
from authorization.fhir_bundle import packet_bundle
from authorization.pdf import packet_pdf
from intake.fhir import patient_resource, questionnaire_response
from intake.services.documents import intake_document_attach
from tests.authorization.helpers import (
    NOW,
    CoordinatorFactory,
    open_packet,
    physician_with_npi,
    submit_and_proceed,
)
from tests.authorization.sample_content import text_pdf_bytes
from tests.criteria_data import example
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles", "frozen")]

DOCS = Path(__file__).resolve().parents[2] / "docs"


def sample_packet(*, gap: bool = False):
    desk = FrontDeskFactory(first_name="Fran", last_name="Desk")
    doc = physician_with_npi(first_name="Pat", last_name="Spine")
    answers = example("ex-inpatient-candidate.json")["answers"]
    if gap:
        answers.pop("pain_nrs")
    intake = IntakeFactory(
        answers={},
        patient=PatientFactory(
            first_name="Grace",
            last_name="Hopper",
            mrn="MRN-000123",
            insurance_payer="Medicare Part B",
            insurance_member_id="1EG4-TE5-MK72",
        ),
    )
    intake.answers = answers
    intake._history_user = desk
    intake.save()
    intake_document_attach(
        intake_id=intake.pk,
        file=SimpleUploadedFile(
            "mri.pdf",
            text_pdf_bytes("MRI thoracolumbar spine: acute L1 compression fracture, marrow edema"),
            content_type="application/pdf",
        ),
        kind="mri",
        document_date=datetime.date(2025, 3, 10),
        user=desk,
        title="MRI thoracolumbar spine",
        answers_from=["fracture_confirmed", "edema_or_uptake", "fracture_level"],
        today=datetime.date(2025, 3, 20),
    )
    submit_and_proceed(
        intake, physician=doc, reason="Pain scored 9 at the visit; chart to follow" if gap else ""
    )
    packet = open_packet(intake, CoordinatorFactory(first_name="Cora", last_name="Ward"))
    if not gap:
        packet = services.packet_attest(
            packet=packet,
            user=doc,
            confirmation="Pat Spine",
            gaps_acknowledged=False,
            now=NOW,
        )
    return packet


def pdf_text(data: bytes) -> tuple[int, list[str]]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), [" ".join(page.extract_text().split()) for page in reader.pages]


def test_the_attested_packet_of_an_example_reads_back_whole():
    packet = sample_packet()
    content = selectors.packet_content(packet, now=NOW)
    data = packet_pdf(content)
    pages, texts = pdf_text(data)
    assert pages >= 3  # cover, criteria, the appended MRI report
    whole = " ".join(texts)
    assert "Grace Hopper" in whole and "MRN-000123" in whole
    assert "1EG4-TE5-MK72" in whole and "1234567893" in whole
    assert f"All {len(content.criteria)} coverage criteria met" in whole
    for criterion in content.criteria:
        assert " ".join(criterion.wording.split())[:40] in whole
    assert "acute L1 compression fracture" in texts[-1]  # the MRI report, appended last
    assert f"Page {pages} of {pages}" in texts[-1]
    assert "LCD L38201" in texts[-1]
    assert "Draft: not attested" not in whole

    # The bundle's answers are those the decision rested on, whatever was edited since.
    intake = packet.intake
    intake.answers = {**intake.answers, "pain_nrs": 3}
    intake.save()
    bundle = packet_bundle(
        content,
        questionnaire_response(intake, packet.decision.screening),
        patient_resource(intake.patient),
    )
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)
    claim = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Claim")
    assert claim["use"] == "preauthorization"
    response = next(
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    answered = {
        item["linkId"]: item["answer"][0] for group in response["item"] for item in group["item"]
    }
    assert answered["pain_nrs"] == {"valueInteger": 9}

    if os.environ.get("DOCS_SCREENSHOTS") == "1":
        (DOCS / "sample-packet.pdf").write_bytes(data)
        if shutil.which("pdftoppm"):
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "80",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    str(DOCS / "sample-packet.pdf"),
                    str(DOCS / "screenshots" / "sample-packet"),
                ],
                check=True,
            )


def test_a_draft_with_a_gap_lists_it_first_in_the_pdf():
    packet = sample_packet(gap=True)
    content = selectors.packet_content(packet, now=NOW)
    assert content.gaps
    _pages, texts = pdf_text(packet_pdf(content))
    whole = " ".join(texts)
    assert "Draft: not attested" in whole
    first_gap = " ".join(content.gaps[0].wording.split())[:30]
    first_met = " ".join(next(c for c in content.criteria if not c.is_gap).wording.split())[:30]
    table = whole[whole.index("Coverage criteria") :] if "Coverage criteria" in whole else whole
    assert table.index(first_gap) < table.index(first_met)
