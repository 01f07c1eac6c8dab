"""Varied, valid generated cases for benchmarks (seeded: the same cases on every run)."""

from __future__ import annotations

import datetime
import random
from typing import Any

from screener import engine

AS_OF = datetime.date(2025, 3, 14)
RARE_TRUE = {
    "cauda_equina_signs",
    "progressive_weakness",
    "infection_signs",
    "active_infection",
    "cord_compression",
    "cement_allergy",
    "uncorrectable_coagulopathy",
    "pregnant",
    "malignant_features",
    "unexplained_weight_loss",
    "retropulsion",
    "posterior_wall_disrupted",
    "prior_treatment_same_level",
}
CHOICE_WEIGHTS = {
    "malignancy": {"none": 0.88, "diagnosed": 0.08, "suspected": 0.04},
    "injury_mechanism": {"minor": 0.93, "high_energy": 0.07},
    "edema_or_uptake": {"yes": 0.75, "no": 0.15, "indeterminate": 0.1},
    "pain_at_fracture_level": {"yes": 0.85, "no": 0.05, "unknown": 0.1},
}
ALWAYS_TRUE_MOSTLY = {"fracture_confirmed", "mri_done", "xray_done"}


def random_answers(spec: engine.CriteriaSpec, rng: random.Random) -> dict[str, Any]:
    """JSON answers for every question, a few left blank, red flags rare (as at a clinic)."""
    answers: dict[str, Any] = {}
    for question in spec.questions:
        if rng.random() < 0.03:
            continue
        kind = question.type
        if kind == engine.QuestionType.BOOL:
            if question.code in RARE_TRUE:
                chance = 0.03
            elif question.code in ALWAYS_TRUE_MOSTLY:
                chance = 0.9
            else:
                chance = 0.5
            answers[question.code] = rng.random() < chance
        elif question.code in CHOICE_WEIGHTS:
            weights = CHOICE_WEIGHTS[question.code]
            answers[question.code] = rng.choices(list(weights), list(weights.values()))[0]
        elif kind == engine.QuestionType.INT:
            answers[question.code] = rng.randint(int(question.min_value), int(question.max_value))
        elif kind == engine.QuestionType.DECIMAL:
            value = rng.uniform(question.min_value, question.max_value)
            answers[question.code] = round(value, 1)
        elif kind == engine.QuestionType.CHOICE:
            answers[question.code] = rng.choice(question.choices)
        else:
            answers[question.code] = (
                AS_OF - datetime.timedelta(days=rng.randint(0, 200))
            ).isoformat()
    if "age_years" in answers:
        answers["age_years"] = rng.randint(45, 95)
    return answers


def generate_cases(spec: engine.CriteriaSpec, count: int, seed: int = 20250314) -> list[dict]:
    rng = random.Random(seed)
    return [
        {
            "procedure": spec.procedure,
            "as_of": AS_OF.isoformat(),
            "answers": random_answers(spec, rng),
        }
        for _ in range(count)
    ]
