"""Baseline cases for engine tests, built from the example cases."""

from __future__ import annotations

import datetime
from typing import Any

from screener import engine
from tests.criteria_data import AS_OF, default_compiled, default_spec, example

INPATIENT: dict[str, Any] = example("ex-inpatient-candidate.json")["answers"]
OUTPATIENT_WORSENING: dict[str, Any] = INPATIENT | {
    "hospitalized": False,
    "pain_nrs": 6,
    "pain_trend": "worsening",
    "conservative_weeks": 4,
    "tried_analgesics": True,
    "tried_brace": False,
    "tried_physical_therapy": False,
}
OUTPATIENT_STABLE: dict[str, Any] = OUTPATIENT_WORSENING | {
    "pain_trend": "stable",
    "height_loss_percent": 30,
    "height_loss_progressing": False,
    "kyphotic_deformity": False,
    "rdq_score": 19,
}
BASES = {
    "inpatient": INPATIENT,
    "outpatient_worsening": OUTPATIENT_WORSENING,
    "outpatient_stable": OUTPATIENT_STABLE,
}


def answers_with(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """JSON answers: the base with overrides applied (None removes the answer)."""
    merged = base | overrides
    return {code: value for code, value in merged.items() if value is not None}


def run(
    base: dict[str, Any] | str = "inpatient",
    as_of: datetime.date = AS_OF,
    **overrides: Any,
) -> engine.ScreeningResult:
    raw = answers_with(BASES[base] if isinstance(base, str) else base, overrides)
    typed = engine.parse_answers(default_spec(), raw, as_of)
    return engine.screen(default_compiled(), typed, as_of)


def holds(result: engine.ScreeningResult, code: str) -> bool:
    return next(r.holds for r in result.rules if r.code == code)


def holding_codes(result: engine.ScreeningResult) -> list[str]:
    return [r.code for r in result.rules if r.holds]


def effect_codes(
    result: engine.ScreeningResult, effect: engine.Effect, *, holds: bool
) -> list[str]:
    """Codes of the rules of one effect that hold (or, with ``holds=False``, that do not)."""
    return [r.code for r in result.rules if r.effect == effect and r.holds == holds]
