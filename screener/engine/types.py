"""Plain, frozen data in and out of the engine."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class QuestionType(StrEnum):
    BOOL = "bool"
    INT = "int"
    DECIMAL = "decimal"
    CHOICE = "choice"
    DATE = "date"


class Requirement(StrEnum):
    ALWAYS = "always"
    WHEN = "when"
    OPTIONAL = "optional"


class Effect(StrEnum):
    RED_FLAG = "red_flag"
    CONTRAINDICATION = "contraindication"
    NEEDS_INFO = "needs_info"
    PREREQUISITE = "prerequisite"
    PATHWAY = "pathway"
    CAUTION = "caution"
    TODO = "todo"


class Outcome(StrEnum):
    URGENT = "urgent"
    CONTRAINDICATED = "contraindicated"
    NEEDS_INFO = "needs_info"
    CONSERVATIVE = "conservative"
    CANDIDATE_WITH_CAUTIONS = "candidate_with_cautions"
    CANDIDATE = "candidate"


CANDIDATE_OUTCOMES = frozenset({Outcome.CANDIDATE, Outcome.CANDIDATE_WITH_CAUTIONS})

# Coverage criteria (a payer's, printed in a prior-authorization packet) are phrased so that
# "met" is the good state. A prerequisite or a pathway is met when it holds; a red flag, a
# contraindication or an information rule is met when it does not hold ("No active infection").
# Cautions and to-dos never decide coverage, so they cannot be coverage criteria.
COVERAGE_MET_WHEN_HOLDS = frozenset({Effect.PREREQUISITE, Effect.PATHWAY})
COVERAGE_MET_WHEN_NOT_HOLDS = frozenset(
    {Effect.RED_FLAG, Effect.CONTRAINDICATION, Effect.NEEDS_INFO}
)
COVERAGE_EFFECTS = COVERAGE_MET_WHEN_HOLDS | COVERAGE_MET_WHEN_NOT_HOLDS


def coverage_met(effect: Effect | str, holds: bool) -> bool:
    """Whether a coverage criterion is met, given its rule's effect and whether the rule held.

    Raises ValueError for an effect that cannot be a coverage criterion (caution, to-do)."""
    effect = Effect(effect)
    if effect in COVERAGE_MET_WHEN_HOLDS:
        return holds
    if effect in COVERAGE_MET_WHEN_NOT_HOLDS:
        return not holds
    raise ValueError(f"a {effect} rule is not a coverage criterion")


# The order in which effects decide the outcome (``decide_outcome``), for explanations.
NO_PATHWAY_REASON = "No treatment pathway is met."


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    code: str
    type: QuestionType
    requirement: Requirement = Requirement.OPTIONAL
    required_when: str = ""
    min_value: float | None = None
    max_value: float | None = None
    choices: tuple[str, ...] = ()
    blank_choices: tuple[str, ...] = ()
    section: str = ""
    prompt: str = ""
    label: str = ""  # a few words naming it when a rule is explained ("pain")
    # Filled by the app (from the patient's record), not asked; which fact fills it is the
    # app's business (screener.adapters), not the engine's.
    filled_by_app: bool = False


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    name: str
    value: float
    label: str = ""


@dataclass(frozen=True, slots=True)
class DerivedSpec:
    """A value computed from the answers: an expression, or (with ``weeks_since`` naming a date
    question) the weeks from that answer to the screening date, blank when it is blank."""

    name: str
    expression: str = ""
    label: str = ""
    weeks_since: str = ""


@dataclass(frozen=True, slots=True)
class CodingSpec:
    """One row of a set's coding table: for a technique and a region (the answers of the set's
    level question that fall in it), the primary code and the add-on code for each further
    level, at most ``cap_parameter`` levels in one session."""

    technique: str
    region: str
    primary: str
    addon: str = ""
    levels: tuple[str, ...] = ()
    cap_parameter: str = ""
    technique_label: str = ""


@dataclass(frozen=True, slots=True)
class RuleSpec:
    code: str
    effect: Effect
    condition: str
    emergency: bool = False
    message: str = ""
    source: str = ""
    # A payer's coverage criterion (``coverage_met`` says when it is met); rules sharing a
    # ``coverage_group`` are alternatives: the criterion is met when any one of them is met.
    coverage_criterion: bool = False
    coverage_group: str = ""
    payer_wording: str = ""  # the criterion as the payer's reviewer reads it, "met" being good
    payer_citation: str = ""  # where the payer's policy says it (an LCD and its indication)


@dataclass(frozen=True, slots=True)
class DiagnosisSpec:
    """A diagnosis code (ICD-10-CM) the set suggests when ``applies_when`` holds for the
    answers (a condition in the rules' language; blank: always suggested)."""

    code: str
    description: str = ""
    applies_when: str = ""


@dataclass(frozen=True, slots=True)
class CriteriaSpec:
    """One criteria set. Questions and rules are in checklist / set order."""

    procedure: str
    version: int
    questions: tuple[QuestionSpec, ...]
    parameters: tuple[ParameterSpec, ...] = ()
    derived: tuple[DerivedSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    coding: tuple[CodingSpec, ...] = ()
    level_question: str = ""  # the coding table's regions are answers of this choice question
    count_question: str = ""  # how many levels are treated (one when blank)
    diagnoses: tuple[DiagnosisSpec, ...] = ()  # the diagnosis codes, in set order

    def question(self, code: str) -> QuestionSpec | None:
        for question in self.questions:
            if question.code == code:
                return question
        return None

    def techniques(self) -> dict[str, str]:
        """The coding table's techniques in table order, each with its label; the first is the
        one suggested until a physician chooses."""
        found: dict[str, str] = {}
        for row in self.coding:
            found.setdefault(row.technique, row.technique_label or row.technique.replace("_", " "))
        return found

    def labels(self) -> dict[str, str]:
        """Name -> the few words that name it in an explanation (its name when unlabelled)."""
        labels: dict[str, str] = {}
        for item in (*self.questions, *self.parameters, *self.derived):
            name = item.code if isinstance(item, QuestionSpec) else item.name
            labels[name] = item.label or name.replace("_", " ")
        return labels


def json_value(value: Any) -> Any:
    """A value a rule read, as JSON gives it: dates as ISO text, blanks (NaN too) as null."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True, slots=True)
class RuleResult:
    code: str
    effect: Effect
    holds: bool
    needs: tuple[str, ...]
    message: str
    source: str
    emergency: bool = False
    # What the condition read, in the order it names them: answers, derived values and
    # parameters with their values (None when blank), so a page can say why the rule did not
    # hold ("pain = 4, pain_min = 5").
    values: tuple[tuple[str, Any], ...] = ()

    def as_dict(self) -> dict:
        """The rule as ``manage.py screen`` prints it (``values`` is an addition to the
        contract's keys, which keep their order)."""
        return {
            "code": self.code,
            "effect": str(self.effect),
            "holds": self.holds,
            "needs": list(self.needs),
            "message": self.message,
            "source": self.source,
            "values": {name: json_value(value) for name, value in self.values},
        }


_RULE_RESULT_SLOTS = tuple(
    RuleResult.__dict__[name].__set__
    for name in ("code", "effect", "holds", "needs", "message", "source", "emergency", "values")
)


def rule_result(
    code: str,
    effect: Effect,
    holds: bool,
    needs: tuple[str, ...],
    message: str,
    source: str,
    emergency: bool,
    values: tuple[tuple[str, Any], ...],
) -> RuleResult:
    """``RuleResult(...)`` with every field given, built in half the time: the engine makes one
    per rule per screening, and a frozen dataclass's ``__init__`` goes through
    ``object.__setattr__`` for each field (about half of a screening's time). The slots are
    filled directly; the result is the same frozen object (a test compares the two)."""
    result = object.__new__(RuleResult)
    (
        set_code,
        set_effect,
        set_holds,
        set_needs,
        set_message,
        set_source,
        set_emergency,
        set_values,
    ) = _RULE_RESULT_SLOTS
    set_code(result, code)
    set_effect(result, effect)
    set_holds(result, holds)
    set_needs(result, needs)
    set_message(result, message)
    set_source(result, source)
    set_emergency(result, emergency)
    set_values(result, values)
    return result


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    procedure: str
    version: int
    outcome: Outcome
    emergency: bool
    missing: tuple[str, ...]
    rules: tuple[RuleResult, ...]
    suggested_codes: tuple[str, ...]
    as_of: datetime.date
    required: tuple[str, ...] = ()  # required now under these answers, answered or not
    # The questions required "when" a condition that does not hold under these answers
    # (answered or not), in checklist order: not needed for this patient as things stand.
    not_needed: tuple[str, ...] = ()
    derived: dict[str, float | bool] = field(default_factory=dict)
    # Why: the codes of the rules that decided the outcome, in the order of precedence, and the
    # one line a physician reads first (a deciding rule's message, the first missing answer, or
    # NO_PATHWAY_REASON).
    deciding: tuple[str, ...] = ()
    key_reason: str = ""
    technique: str = ""  # the coding table's technique the suggested codes are for

    def as_dict(self) -> dict:
        """The JSON shape of ``manage.py screen`` (keys in contract order)."""
        return {
            "outcome": str(self.outcome),
            "emergency": self.emergency,
            "criteria_set": {"procedure": self.procedure, "version": self.version},
            "missing": list(self.missing),
            "rules": [rule.as_dict() for rule in self.rules],
            "suggested_codes": list(self.suggested_codes),
        }
