"""A patient as a FHIR Patient resource."""

from __future__ import annotations

from intake.fhir import canonical
from intake.models import Patient, Sex

# The record's sex as FHIR's administrative gender (the same four values).
GENDERS: dict[str, str] = {
    Sex.FEMALE: "female",
    Sex.MALE: "male",
    Sex.OTHER: "other",
    Sex.UNKNOWN: "unknown",
}


def patient_resource(patient: Patient) -> dict:
    """The Patient: the MRN as its identifier (type MR), name, sex, date of birth, phone.

    ``id`` is the record's opaque database id (left out for an unsaved patient)."""
    resource: dict = {"resourceType": "Patient"}
    if patient.pk is not None:
        resource["id"] = str(patient.pk)
    resource["identifier"] = [
        {
            "use": "usual",
            "type": {
                "coding": [
                    {
                        "system": canonical.MRN_TYPE_SYSTEM,
                        "code": "MR",
                        "display": "Medical record number",
                    }
                ]
            },
            "system": canonical.mrn_system(),
            "value": patient.mrn,
        }
    ]
    resource["name"] = [
        {
            "use": "official",
            "text": patient.full_name,
            "family": patient.last_name,
            "given": [patient.first_name],
        }
    ]
    if patient.phone:
        resource["telecom"] = [{"system": "phone", "value": patient.phone}]
    resource["gender"] = GENDERS.get(patient.sex, "unknown")
    resource["birthDate"] = patient.date_of_birth.isoformat()
    return resource
