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


def questionnaire_slug(url: str) -> str | None:
    """The procedure slug a canonical Questionnaire URL names (``<base>/Questionnaire/<slug>``),
    or None when the URL is not one of this clinic's Questionnaires."""
    prefix = f"{base()}/Questionnaire/"
    if not url.startswith(prefix):
        return None
    slug = url[len(prefix) :]
    return slug if slug and "/" not in slug else None


def required_when_extension_url() -> str:
    """The extension carrying a ``required_when`` condition that ``enableWhen`` cannot say."""
    return f"{base()}/StructureDefinition/required-when"


def answer_source_extension_url() -> str:
    """The extension naming where a question's answer comes from (patient, chart, ...)."""
    return f"{base()}/StructureDefinition/answer-source"


def answer_source_system() -> str:
    """The code system of answer sources."""
    return f"{base()}/CodeSystem/answer-source"


def answer_entered_extension_url() -> str:
    """The extension saying who entered an answer and when (sub-extensions ``by``, ``at``)."""
    return f"{base()}/StructureDefinition/answer-entered"


def patient_prompt_extension_url() -> str:
    """The extension carrying the question as the patient reads it (their own link's wording),
    its Spanish in FHIR's translation extension."""
    return f"{base()}/StructureDefinition/patient-prompt"


# FHIR's own extension for a translated string (sub-extensions ``lang`` and ``content``).
TRANSLATION_EXTENSION = "http://hl7.org/fhir/StructureDefinition/translation"

# FHIR's own extensions for a number item's bounds.
MIN_VALUE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/maxValue"
