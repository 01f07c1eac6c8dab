"""The URLs and identifier systems the FHIR resources name.

They all sit under ``settings.FHIR_CANONICAL_BASE`` (read at call time), the clinic's own
namespace: a criteria set's Questionnaire is ``<base>/Questionnaire/<procedure slug>`` with
the criteria version as its ``version``, so a QuestionnaireResponse names exactly the version
its intake was answered under (``<url>|<version>``).
"""

from __future__ import annotations

from django.conf import settings

from screener.models import CriteriaSet

# Systems FHIR itself defines.
ADMINISTRATIVE_GENDER = "http://hl7.org/fhir/administrative-gender"
MRN_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"


def base() -> str:
    """The clinic's FHIR namespace, without a trailing slash."""
    return settings.FHIR_CANONICAL_BASE.rstrip("/")


def questionnaire_url(criteria_set: CriteriaSet) -> str:
    """The canonical URL of a procedure's Questionnaire (every version shares it)."""
    return f"{base()}/Questionnaire/{criteria_set.procedure.slug}"


def questionnaire_canonical(criteria_set: CriteriaSet) -> str:
    """The canonical reference to one version: ``<url>|<criteria version>``."""
    return f"{questionnaire_url(criteria_set)}|{criteria_set.version}"


def choice_system(criteria_set: CriteriaSet, question_code: str) -> str:
    """The code system of a choice question's answers (its choices are the codes)."""
    return f"{questionnaire_url(criteria_set)}/choices/{question_code}"


def mrn_system() -> str:
    """The identifier system of the clinic's medical record numbers."""
    return f"{base()}/sid/mrn"


def intake_system() -> str:
    """The identifier system of intakes (a QuestionnaireResponse's identifier)."""
    return f"{base()}/sid/intake"


def outcome_extension_url() -> str:
    """The extension carrying the screening's outcome on a QuestionnaireResponse."""
    return f"{base()}/StructureDefinition/screening-outcome"


def outcome_system() -> str:
    """The code system of screening outcomes (the engine's outcome codes)."""
    return f"{base()}/CodeSystem/screening-outcome"
