"""The packet as a FHIR R4 Bundle (type ``collection``) for payers that take prior-authorization
requests electronically.

``packet_bundle(content, questionnaire_response, patient)`` renders a
:class:`~authorization.content.PacketContent` with the intake's QuestionnaireResponse and the
Patient (``intake.fhir``) as:

- a **Claim** with ``use`` = ``preauthorization`` (status active, type professional, priority
  normal): the patient, the ordering physician as ``provider``, the payer as ``insurer``, the
  member's Coverage, the ICD-10-CM diagnoses, one item per CPT code with its units (the planned
  date and the place of service on each), and ``supportingInfo`` pointing at the
  QuestionnaireResponse and at each DocumentReference;
- the **Patient**, a **Practitioner** (the NPI as identifier), an **Organization** (the payer),
  a **Coverage** (the member id);
- the **QuestionnaireResponse**, its subject pointed at the bundle's Patient;
- a **DocumentReference** per attached document, in the packet's order, the file inline
  (base64) with its type, title, date, size and SHA-1 hash.

Every entry's ``fullUrl`` is a ``urn:uuid:`` derived from the packet id and revision and the
entry's role, and each resource's ``id`` is that uuid: the same packet revision always gives
the same bundle, byte for byte. The documents are read once each and held in memory as base64
(a third larger than the files).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import logging
import re
import uuid
from typing import Any

from authorization.content import PacketContent, PacketDocument
from intake.fhir import canonical

logger = logging.getLogger(__name__)

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
CLAIM_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/claim-type"
PRIORITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/processpriority"
INFORMATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/claiminformationcategory"
PLACE_OF_SERVICE_SYSTEM = (
    "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
)

# The namespace of the bundle's uuids (uuid5): fixed, so a packet's uuids never change.
BUNDLE_NAMESPACE = uuid.UUID("5b0e7c1e-8f43-4c55-9b1a-2f6a3d0c9e71")

# "22 - On campus outpatient hospital": the CMS place-of-service code and its name.
_PLACE_OF_SERVICE = re.compile(r"\s*(?P<code>[0-9]{2})\b\s*(?:[-\u2013:]\s*(?P<name>.*))?")


def packet_bundle(
    content: PacketContent, questionnaire_response: dict, patient: dict
) -> dict[str, Any]:
    """The packet as a Bundle of type ``collection`` (see the module's docstring)."""
    ids = _EntryIds(content)
    patient_ref = {"reference": ids.url("Patient")}
    documents = [
        document_reference(
            content, document, ids.id(f"DocumentReference/{document.id}"), patient_ref
        )
        for document in content.documents
    ]
    response = copy.deepcopy(questionnaire_response)
    response["id"] = ids.id("QuestionnaireResponse")
    response["subject"] = patient_ref
    resources = [
        claim(content, ids, documents),
        {**copy.deepcopy(patient), "id": ids.id("Patient")},
        practitioner(content, ids.id("Practitioner")),
        organization(content, ids.id("Organization")),
        coverage(content, ids, patient_ref),
        response,
        *documents,
    ]
    return {
        "resourceType": "Bundle",
        "id": ids.id("Bundle"),
        "identifier": packet_identifier(content),
        "type": "collection",
        "timestamp": content.generated_at.isoformat(timespec="seconds"),
        "entry": [
            {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
            for resource in resources
        ],
    }


class _EntryIds:
    """The uuid of each entry, from the packet id, its revision and the entry's role."""

    def __init__(self, content: PacketContent):
        self.prefix = f"packet/{content.packet_id}/revision/{content.revision}/"

    def id(self, role: str) -> str:
        return str(uuid.uuid5(BUNDLE_NAMESPACE, self.prefix + role))

    def url(self, role: str) -> str:
        return f"urn:uuid:{self.id(role)}"


def packet_identifier(content: PacketContent) -> dict[str, str]:
    """The packet and its revision as an identifier: ``<packet id>-<revision>``."""
    return {
        "system": f"{canonical.base()}/sid/authorization-packet",
        "value": f"{content.packet_id}-{content.revision}",
    }


def claim(content: PacketContent, ids: _EntryIds, documents: list[dict]) -> dict[str, Any]:
    """The prior-authorization request itself."""
    diagnoses = [
        {
            "sequence": number,
            "diagnosisCodeableConcept": {
                "coding": [
                    {"system": ICD10CM_SYSTEM, "code": code.code, "display": code.description}
                ]
            },
        }
        for number, code in enumerate(content.diagnosis_codes, 1)
    ]
    items = []
    for number, code in enumerate(content.procedure_codes, 1):
        item: dict[str, Any] = {
            "sequence": number,
            "productOrService": {
                "coding": [{"system": CPT_SYSTEM, "code": code.code, "display": code.description}]
            },
        }
        if diagnoses:
            item["diagnosisSequence"] = [diagnosis["sequence"] for diagnosis in diagnoses]
        if content.planned_date is not None:
            item["servicedDate"] = content.planned_date.isoformat()
        if content.place_of_service:
            item["locationCodeableConcept"] = place_of_service(content.place_of_service)
        if code.units is not None:
            item["quantity"] = {"value": code.units}
        items.append(item)
    supporting = [
        supporting_info(1, "info", "Information", ids.url("QuestionnaireResponse")),
        *(
            supporting_info(number, "attachment", "Attachment", f"urn:uuid:{document['id']}")
            for number, document in enumerate(documents, 2)
        ),
    ]
    resource: dict[str, Any] = {
        "resourceType": "Claim",
        "id": ids.id("Claim"),
        "identifier": [packet_identifier(content)],
        "status": "active",
        "type": {
            "coding": [
                {"system": CLAIM_TYPE_SYSTEM, "code": "professional", "display": "Professional"}
            ]
        },
        "use": "preauthorization",
        "patient": {"reference": ids.url("Patient")},
        "created": content.generated_at.isoformat(timespec="seconds"),
        "insurer": {"reference": ids.url("Organization"), "display": content.payer},
        "provider": {"reference": ids.url("Practitioner"), "display": content.ordering_physician},
        "priority": {
            "coding": [{"system": PRIORITY_SYSTEM, "code": "normal", "display": "Normal"}]
        },
        "supportingInfo": supporting,
        "insurance": [
            {"sequence": 1, "focal": True, "coverage": {"reference": ids.url("Coverage")}}
        ],
    }
    if diagnoses:
        resource["diagnosis"] = diagnoses
    if items:
        resource["item"] = items
    return resource


def supporting_info(sequence: int, code: str, display: str, reference: str) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "category": {
            "coding": [{"system": INFORMATION_CATEGORY_SYSTEM, "code": code, "display": display}]
        },
        "valueReference": {"reference": reference},
    }


def place_of_service(text: str) -> dict[str, Any]:
    """The CMS place-of-service code when the text starts with one ("22 - ..."), else text."""
    match = _PLACE_OF_SERVICE.fullmatch(text)
    if match is None:
        return {"text": text}
    coding = {"system": PLACE_OF_SERVICE_SYSTEM, "code": match["code"]}
    if match["name"]:
        coding["display"] = match["name"].strip()
    return {"coding": [coding], "text": text}


def practitioner(content: PacketContent, resource_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Practitioner", "id": resource_id}
    if content.ordering_physician_npi:
        resource["identifier"] = [{"system": NPI_SYSTEM, "value": content.ordering_physician_npi}]
    resource["name"] = [{"text": content.ordering_physician}]
    return resource


def organization(content: PacketContent, resource_id: str) -> dict[str, Any]:
    return {"resourceType": "Organization", "id": resource_id, "name": content.payer}


def coverage(content: PacketContent, ids: _EntryIds, patient_ref: dict) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": ids.id("Coverage"),
        "status": "active",
    }
    if content.member_id:
        resource["subscriberId"] = content.member_id
    resource["beneficiary"] = patient_ref
    resource["payor"] = [{"reference": ids.url("Organization"), "display": content.payer}]
    return resource


def document_reference(
    content: PacketContent, document: PacketDocument, resource_id: str, patient_ref: dict
) -> dict[str, Any]:
    """An attached document with its file inline. A file the storage cannot read is described
    without its data (and the description says so) rather than failing the export."""
    attachment: dict[str, Any] = {
        "contentType": document.content_type,
        "title": document.title,
        "creation": document.document_date.isoformat(),
    }
    description = document.title
    try:
        data = document.read()
    except Exception:  # storage is outside the packet: a missing or unreadable file
        logger.warning("Packet %s: document %s could not be read", content.packet_id, document.id)
        description = f"{document.title} (the file could not be read)"
    else:
        attachment["data"] = base64.b64encode(data).decode("ascii")
        attachment["size"] = len(data)
        attachment["hash"] = base64.b64encode(
            hashlib.sha1(data, usedforsecurity=False).digest()
        ).decode("ascii")
    return {
        "resourceType": "DocumentReference",
        "id": resource_id,
        "status": "current",
        "type": {"text": document.kind_label},
        "subject": patient_ref,
        "date": document.attached_at.isoformat(timespec="seconds"),
        "description": description,
        "content": [{"attachment": attachment}],
    }
