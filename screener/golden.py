"""Golden cases: run a set's test cases through the engine and say how each differs.

Read-only. A case passes when the outcome is the expected one, the missing list is the expected
one (when the case names one) and every rule it expects to hold holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from screener import adapters, engine
from screener.labels import outcome_text
from screener.models import CriteriaSet, GoldenCase


@dataclass(frozen=True)
class GoldenCaseResult:
    case: GoldenCase
    outcome: str | None  # None when the case could not be screened
    differences: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.differences


def golden_case_differences(
    case: GoldenCase, compiled: engine.CompiledCriteria
) -> tuple[str | None, list[str]]:
    """(outcome, differences) of one case under a compiled set."""
    if not isinstance(case.answers, dict):
        return None, ["answers: must be an object of question code to answer"]
    try:
        answers = engine.parse_answers(compiled.spec, case.answers, case.as_of)
    except engine.AnswerError as exc:
        return None, [f"{exc.field}: {exc.message}"]
    result = engine.screen(compiled, answers, case.as_of)
    outcome = str(result.outcome)
    differences = []
    if outcome != case.expected_outcome:
        differences.append(
            f"outcome: expected {outcome_text(case.expected_outcome)}, got {outcome_text(outcome)}"
        )
    if case.expected_missing is not None and list(result.missing) != list(case.expected_missing):
        expected = ", ".join(case.expected_missing) or "nothing"
        got = ", ".join(result.missing) or "nothing"
        differences.append(f"missing: expected {expected}, got {got}")
    holding = {rule.code for rule in result.rules if rule.holds}
    messages = {rule.code: rule.message for rule in result.rules}
    for code in case.expected_holding or ():
        if code not in messages:
            differences.append(f"rule {code}: expected to hold, but the set has no such rule")
        elif code not in holding:
            differences.append(
                f"rule “{messages[code] or code}” ({code}): expected to hold, but does not"
            )
    return outcome, differences


def golden_cases_run(
    criteria_set: CriteriaSet, cases: Iterable[GoldenCase] | None = None
) -> list[GoldenCaseResult]:
    """Every golden case of the set (or ``cases``), in order, with its differences.

    A set whose expressions do not check cannot screen: every case then fails saying so.
    """
    cases = list(
        cases if cases is not None else criteria_set.goldencase_set.order_by("order", "id")
    )
    try:
        compiled = adapters.compiled_criteria(criteria_set)
    except engine.CriteriaInvalid as exc:
        reason = f"not run: the set has {len(exc.problems)} expression error(s)"
        return [GoldenCaseResult(case, None, (reason,)) for case in cases]
    results = []
    for case in cases:
        outcome, differences = golden_case_differences(case, compiled)
        results.append(GoldenCaseResult(case, outcome, tuple(differences)))
    return results


def golden_failures(criteria_set: CriteriaSet) -> list[str]:
    """One line per failing case, for messages: "Golden case x: outcome: expected ..."."""
    return [
        f"Golden case {result.case.name}: {'; '.join(result.differences)}"
        for result in golden_cases_run(criteria_set)
        if not result.passed
    ]
