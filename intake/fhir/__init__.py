"""FHIR R4 resources of the intake side: one mapping shared by every export and import.

- ``canonical``: the URLs and identifier systems every resource names (the canonical URL of a
  criteria set's Questionnaire, the MRN system, the screening-outcome extension).
- ``structure``: a criteria set's questions as FHIR items (sections as groups, ``linkId`` =
  question code), and an answer's JSON value as its typed ``answer`` element.
- ``patient.patient_resource``: the Patient (the MRN as identifier).
- ``response.questionnaire_response``: an intake's answers as a QuestionnaireResponse.

Resources are plain ``dict`` objects ready for ``json.dumps`` (no pydantic at run time); the
tests validate every one with ``fhir.resources``' R4B models. Builders read; callers (a view,
a command, the packet's bundle) check the role and audit the read, as for any patient record.
The Questionnaire export and the import of a QuestionnaireResponse (issue 15) use the same
``canonical`` and ``structure`` so a response always matches its Questionnaire.
"""

from intake.fhir.patient import patient_resource
from intake.fhir.response import questionnaire_response

__all__ = ["patient_resource", "questionnaire_response"]
