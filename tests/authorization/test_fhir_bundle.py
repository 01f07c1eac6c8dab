"""The packet as a FHIR R4 Bundle: the Claim (preauthorization) and what it points at, each
resource validated with fhir.resources' R4B models; the same packet gives the same bundle."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import json

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from authorization.fhir_bundle import packet_bundle
from intake.fhir import patient_resource, questionnaire_response
from intake.models import Intake
from intake.services import intakes as services
from tests.authorization.sample_content import MRI, XRAY, document, sample_packet_content
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory

# What intake.fhir gives, written out (the database test below uses the real builders).
PATIENT = {
    "resourceType": "Patient",
    "id": "7",
    "identifier": [{"system": "https://clinic.example/fhir/sid/mrn", "value": "MRN-000123"}],
    "name": [{"family": "Lopez", "given": ["Maria"]}],
    "gender": "female",
    "birthDate": "1946-06-01",
}
RESPONSE = {
    "resourceType": "QuestionnaireResponse",
    "id": "501",
    "questionnaire": "https://clinic.example/fhir/Questionnaire/vertebroplasty|3",
    "status": "completed",
    "subject": {"reference": "Patient/7"},
    "authored": "2026-11-04T10:00:00+00:00",
    "item": [
        {
            "linkId": "section-1",
            "text": "Pain",
            "item": [{"linkId": "pain_nrs", "text": "Pain", "answer": [{"valueInteger": 8}]}],
        }
    ],
}


def validated(bundle: dict) -> dict[str, list[dict]]:
    """Validate the bundle and every resource in it (R4B); resources by type, in order."""
    Bundle.model_validate(bundle)
    by_type: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        by_type.setdefault(resource["resourceType"], []).append(resource)
    return by_type


def reference(bundle: dict, resource: dict) -> str:
    [url] = [e["fullUrl"] for e in bundle["entry"] if e["resource"] is resource]
    return url


def test_bundle_is_a_collection_of_a_claim_and_what_it_points_at(packet_content):
    """A collection: the Claim, Patient, Practitioner, Organization, Coverage, the response and
    one DocumentReference per document, in the packet's order."""
    bundle = packet_bundle(packet_content, RESPONSE, PATIENT)

    by_type = validated(bundle)
    assert bundle["type"] == "collection"
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "Claim",
        "Patient",
        "Practitioner",
        "Organization",
        "Coverage",
        "QuestionnaireResponse",
        "DocumentReference",
        "DocumentReference",
    ]
    assert [d["description"] for d in by_type["DocumentReference"]] == [
        "MRI thoracolumbar spine",
        "Lumbar spine X-ray",
    ]


def test_claim_is_a_preauthorization_with_codes_units_and_parties(packet_content):
    """The Claim: preauthorization, active, professional, normal priority, the patient, the
    physician's NPI, the payer, the member id, ICD-10-CM and CPT codes with units."""
    bundle = packet_bundle(packet_content, RESPONSE, PATIENT)
    by_type = validated(bundle)
    [claim] = by_type["Claim"]
    [patient] = by_type["Patient"]
    [practitioner] = by_type["Practitioner"]
    [payer] = by_type["Organization"]
    [coverage] = by_type["Coverage"]

    assert claim["use"] == "preauthorization"
    assert claim["status"] == "active"
    assert claim["type"]["coding"][0]["code"] == "professional"
    assert claim["priority"]["coding"][0]["code"] == "normal"
    assert claim["patient"] == {"reference": reference(bundle, patient)}
    assert claim["provider"]["reference"] == reference(bundle, practitioner)
    assert practitioner["identifier"] == [
        {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}
    ]
    assert claim["insurer"]["reference"] == reference(bundle, payer)
    assert payer["name"] == "Medicare Part B (Novitas)"
    assert claim["insurance"] == [
        {"sequence": 1, "focal": True, "coverage": {"reference": reference(bundle, coverage)}}
    ]
    assert coverage["subscriberId"] == "1EG4-TE5-MK73"
    assert coverage["beneficiary"] == {"reference": reference(bundle, patient)}
    assert [d["diagnosisCodeableConcept"]["coding"][0] for d in claim["diagnosis"]] == [
        {
            "system": "http://hl7.org/fhir/sid/icd-10-cm",
            "code": "M80.08XA",
            "display": "Age-related osteoporosis with vertebral fracture",
        },
        {
            "system": "http://hl7.org/fhir/sid/icd-10-cm",
            "code": "M48.56XA",
            "display": "Collapsed vertebra, lumbar region",
        },
    ]
    [item] = claim["item"]
    assert item["productOrService"]["coding"] == [
        {
            "system": "http://www.ama-assn.org/go/cpt",
            "code": "22511",
            "display": "Percutaneous vertebroplasty, lumbosacral",
        }
    ]
    assert item["quantity"] == {"value": 1}
    assert item["servicedDate"] == "2026-12-14"
    assert item["diagnosisSequence"] == [1, 2]
    assert item["locationCodeableConcept"]["coding"][0]["code"] == "22"


def test_supporting_info_points_at_the_response_and_each_document(packet_content):
    """supportingInfo: the QuestionnaireResponse, then each DocumentReference in order."""
    bundle = packet_bundle(packet_content, RESPONSE, PATIENT)
    by_type = validated(bundle)
    [claim] = by_type["Claim"]
    [response] = by_type["QuestionnaireResponse"]

    assert [info["valueReference"]["reference"] for info in claim["supportingInfo"]] == [
        reference(bundle, response),
        *(reference(bundle, d) for d in by_type["DocumentReference"]),
    ]
    assert [info["category"]["coding"][0]["code"] for info in claim["supportingInfo"]] == [
        "info",
        "attachment",
        "attachment",
    ]
    assert response["subject"] == {"reference": reference(bundle, by_type["Patient"][0])}
    assert response["item"] == RESPONSE["item"]
    assert RESPONSE["subject"] == {"reference": "Patient/7"}  # the caller's copy is untouched


def test_document_reference_carries_the_file_with_type_size_and_hash(packet_content):
    """Each DocumentReference holds the file (base64) with its type, title, date, size and
    SHA-1, for the patient."""
    bundle = packet_bundle(packet_content, RESPONSE, PATIENT)
    by_type = validated(bundle)
    mri, xray = by_type["DocumentReference"]

    for resource, source in ((mri, MRI), (xray, XRAY)):
        [content] = resource["content"]
        attachment = content["attachment"]
        data = source.read()
        assert base64.b64decode(attachment["data"]) == data
        assert attachment["size"] == len(data)
        assert attachment["hash"] == base64.b64encode(hashlib.sha1(data).digest()).decode()
        assert attachment["contentType"] == source.content_type
        assert attachment["title"] == source.title
        assert attachment["creation"] == source.document_date.isoformat()
        assert resource["type"] == {"text": source.kind_label}
        assert resource["subject"] == {"reference": reference(bundle, by_type["Patient"][0])}


def test_unreadable_document_is_described_without_its_file():
    """A file the storage cannot read leaves a DocumentReference without data, saying so."""

    def unreadable() -> bytes:
        raise OSError("gone")

    lost = dataclasses.replace(document(9, data=b""), read=unreadable)

    bundle = packet_bundle(sample_packet_content(documents=(lost,)), RESPONSE, PATIENT)

    [resource] = validated(bundle)["DocumentReference"]
    assert resource["description"] == "MRI thoracolumbar spine (the file could not be read)"
    assert "data" not in resource["content"][0]["attachment"]


def test_same_packet_gives_the_same_bundle_and_a_new_revision_new_ids(packet_content):
    """Full URLs are urn:uuid derived from the packet: the same revision gives the same JSON;
    another revision gives other uuids."""
    first = json.dumps(packet_bundle(packet_content, RESPONSE, PATIENT), sort_keys=True)
    again = json.dumps(packet_bundle(packet_content, RESPONSE, PATIENT), sort_keys=True)
    revised = packet_bundle(dataclasses.replace(packet_content, revision=3), RESPONSE, PATIENT)

    assert first == again
    assert all(entry["fullUrl"].startswith("urn:uuid:") for entry in json.loads(first)["entry"])
    old_urls = {entry["fullUrl"] for entry in json.loads(first)["entry"]}
    assert not old_urls & {entry["fullUrl"] for entry in revised["entry"]}


def test_packet_without_codes_or_documents_is_still_valid():
    """No codes, no planned date, no documents: a valid Claim with only the response."""
    content = sample_packet_content(
        procedure_codes=(), diagnosis_codes=(), documents=(), planned_date=None
    )

    by_type = validated(packet_bundle(content, RESPONSE, PATIENT))

    [claim] = by_type["Claim"]
    assert "item" not in claim and "diagnosis" not in claim
    assert len(claim["supportingInfo"]) == 1


@pytest.mark.django_db
def test_bundle_with_a_database_intake_response_and_patient(default_set):
    """The bundle validates with the QuestionnaireResponse and Patient intake.fhir builds."""
    intake = IntakeFactory(patient=PatientFactory(date_of_birth=datetime.date(1946, 6, 1)))
    services.intake_submit(
        intake_id=intake.pk,
        changes={"pain_nrs": 8, "inr": 1.1, "fracture_level": "L1", "pregnant": False},
        version=intake.version,
        user=FrontDeskFactory(),
        as_of=datetime.date(2026, 11, 20),
    )
    intake = Intake.objects.select_related("patient", "criteria_set__procedure").get(pk=intake.pk)

    bundle = packet_bundle(
        sample_packet_content(), questionnaire_response(intake), patient_resource(intake.patient)
    )

    by_type = validated(bundle)
    [response] = by_type["QuestionnaireResponse"]
    assert {item["linkId"] for group in response["item"] for item in group["item"]} == {
        "pain_nrs",
        "inr",
        "fracture_level",
        "pregnant",
    }
    assert by_type["Patient"][0]["identifier"][0]["value"] == intake.patient.mrn


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "22 - On campus outpatient hospital",
            {"code": "22", "display": "On campus outpatient hospital"},
        ),
        (
            "24 \u2013 Ambulatory surgical center",
            {"code": "24", "display": "Ambulatory surgical center"},
        ),
        ("11", {"code": "11"}),
    ],
)
def test_place_of_service_code_is_read_from_its_text(text, expected):
    """The CMS place-of-service code in front of its name becomes a coding."""
    [item] = packet_bundle(sample_packet_content(place_of_service=text), RESPONSE, PATIENT)[
        "entry"
    ][0]["resource"]["item"]

    [coding] = item["locationCodeableConcept"]["coding"]
    assert {k: v for k, v in coding.items() if k != "system"} == expected
    assert item["locationCodeableConcept"]["text"] == text


def test_place_of_service_without_a_code_is_text_only():
    """A place of service that does not start with a code is sent as text."""
    [item] = packet_bundle(
        sample_packet_content(place_of_service="Clinic procedure room"), RESPONSE, PATIENT
    )["entry"][0]["resource"]["item"]

    assert item["locationCodeableConcept"] == {"text": "Clinic procedure room"}
