"""FHIR R4 resources of the intake side: one mapping shared by every export and import.

- ``canonical``: the URLs and identifier systems every resource names (the canonical URL of a
  criteria set's Questionnaire, the MRN system, the screening-outcome extension).
- ``structure``: a criteria set's questions as FHIR items (sections as groups, ``linkId`` =
  question code), and an answer's JSON value as its typed ``answer`` element.
- ``patient.patient_resource``: the Patient (the MRN as identifier).
- ``response.questionnaire_response``: an intake's answers as a QuestionnaireResponse (with
  each answer's source and who entered it when, and the Patient contained, when asked).
- ``conditions`` and ``questionnaire.questionnaire_export``: a criteria set as a Questionnaire,
  ``required_when`` as ``enableWhen`` where FHIR can say it.
- ``imports.intake_import_fhir_response``: a QuestionnaireResponse as a new draft intake.
- ``clients``, ``views``, ``urls``: the token-authenticated API at ``/fhir/`` (``FhirClient``)
  and the staff's download; ``admin`` and ``hooks``: the criteria set admin's button.

Resources are plain ``dict`` objects ready for ``json.dumps`` (no pydantic at run time); the
tests validate every one with ``fhir.resources``' R4B models. Builders read; callers (a view,
a command, the packet's bundle) check the role and audit the read, as for any patient record.
The Questionnaire, the responses and the import share ``canonical`` and ``structure``, so a
response always matches its Questionnaire and an exported response imports back.
"""

from intake.fhir.patient import patient_resource
from intake.fhir.response import questionnaire_response

__all__ = ["patient_resource", "questionnaire_response"]
