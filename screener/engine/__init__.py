"""The screening engine: pure Python over plain data (no Django import).

Input is a :class:`CriteriaSpec` (questions, parameters, derived values, rules and coding table of
one criteria set, as frozen dataclasses) compiled once with :func:`compile_criteria`, the typed
answers of one case, and the screening date. Output is a :class:`ScreeningResult` that says, for
every rule, whether it held and which blank required answers it depends on.

Semantics
---------

*Blank answers.* A question left out (or answered with one of its "counts as blank" choices) is
"not documented": a bool is false; a number behaves as NaN does (``<``, ``<=``, ``>``, ``>=`` and
``==`` are false, ``!=`` is true); a choice or a date equals no value (it is in no list and ``!=``
any value is true). The same semantics hold in rules, derived values and requirement conditions.
The engine uses every answer given, whether or not its question is required at the moment.

*Missing.* The required questions (``always``, or ``when`` their condition holds) that are blank,
in checklist order. A rule's ``needs`` lists the missing questions it names, directly or through
a derived value (a value counting weeks since a date question names that question).
The questions required ``when`` a condition that does not hold are *not needed* for this
patient as things stand (``not_needed``; the intake form collapses them while they are blank).

*Dates.* A date answer (onset, imaging, any other) lies between ``EARLIEST_DATE`` (1900-01-01;
``parse_answers`` takes another as ``earliest``) and the screening date, both included.

*Derived values.* The set's own, evaluated in order: an expression, or the weeks from a date
question's answer to the screening date, ``(as_of - answer).days / 7`` (blank when the answer
is blank). The engine knows no question by name: the set says which values to derive.

*Effects and precedence.* Every rule is evaluated; none is short-circuited. The outcome is then
``urgent`` if a ``red_flag`` holds (``emergency`` when one marked emergency holds), else
``contraindicated`` if a ``contraindication`` holds, else ``needs_info`` if anything is missing or
a ``needs_info`` rule holds, else ``candidate_with_cautions`` / ``candidate`` when every
``prerequisite`` holds and at least one ``pathway`` holds (with / without a holding ``caution``),
else ``conservative``. ``todo`` rules never change the outcome. The result names the rules that
decided the outcome (``deciding``, in that order of precedence) and the line a physician reads
first (``key_reason``).

*Suggested codes.* Only for the two candidate outcomes, from the set's coding table: for the
technique asked for (else the table's first), the row whose levels hold the answer to the set's
level question (else the technique's first row) gives the primary code, then its add-on once
for each further level (the set's count question), at most the row's cap parameter of levels.

*Coverage criteria.* Rules marked as a payer's coverage criteria carry the payer's wording,
phrased so that "met" is the good state: a prerequisite or pathway is met when it holds, a red
flag, contraindication or information rule when it does not (``coverage_met``); rules sharing a
coverage group are alternatives (met when any one is). Cautions and to-dos are never criteria.

*Diagnosis codes.* The set's ICD-10-CM codes, each suggested when its ``applies_when`` condition
holds for the answers (``suggested_diagnoses``; blank: always), with the rules' semantics.

Expressions are Python syntax restricted to names, numbers, strings, ``True``/``False``, lists of
literals, comparisons, ``in``/``not in``, ``and``/``or``/``not``, ``+ - * /`` and parentheses.
They are checked (node kinds, names, types, a trial evaluation) before a set is compiled, parsed
once, and evaluated with simpleeval's ``EvalWithCompoundTypes`` with no functions.
"""

from screener.engine.answers import (
    EARLIEST_DATE,
    AnswerError,
    date_after_screening_error,
    date_before_error,
    parse_answer,
    parse_answers,
)
from screener.engine.evaluate import (
    CompiledCriteria,
    compile_criteria,
    screen,
    suggested_codes,
    suggested_diagnoses,
)
from screener.engine.expressions import CriteriaInvalid, CriteriaProblem, check_criteria
from screener.engine.types import (
    COVERAGE_EFFECTS,
    NO_PATHWAY_REASON,
    CodingSpec,
    CriteriaSpec,
    DerivedSpec,
    DiagnosisSpec,
    Effect,
    Outcome,
    ParameterSpec,
    QuestionSpec,
    QuestionType,
    Requirement,
    RuleResult,
    RuleSpec,
    ScreeningResult,
    coverage_met,
    json_value,
)

__all__ = [
    "COVERAGE_EFFECTS",
    "EARLIEST_DATE",
    "NO_PATHWAY_REASON",
    "AnswerError",
    "CodingSpec",
    "CompiledCriteria",
    "CriteriaInvalid",
    "CriteriaProblem",
    "CriteriaSpec",
    "DerivedSpec",
    "DiagnosisSpec",
    "Effect",
    "Outcome",
    "ParameterSpec",
    "QuestionSpec",
    "QuestionType",
    "Requirement",
    "RuleResult",
    "RuleSpec",
    "ScreeningResult",
    "check_criteria",
    "compile_criteria",
    "coverage_met",
    "date_after_screening_error",
    "date_before_error",
    "json_value",
    "parse_answer",
    "parse_answers",
    "screen",
    "suggested_codes",
    "suggested_diagnoses",
]
