"""Clinic-like answers for a criteria spec, for benchmarks and seeded databases.

No Django here (only the engine's types): the engine benchmark uses it without a database.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from screener import engine

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
# Dates that come after another at a clinic: imaging is done after the pain began (mostly).
DATE_AFTER = {"advanced_imaging_date": "symptom_onset_date"}


def random_answers(
    spec: engine.CriteriaSpec,
    rng: random.Random,
    as_of: datetime.date,
    *,
    blank: float = 0.03,
    red_flag: float = 0.03,
) -> dict[str, Any]:
    """JSON answers for every question, each left blank with chance ``blank``, each rare
    finding (red flags, contraindications) true with chance ``red_flag``; dates within the
    200 days before ``as_of``."""
    answers: dict[str, Any] = {}
    for question in spec.questions:
        if rng.random() < blank:
            continue
        kind = question.type
        if kind == engine.QuestionType.BOOL:
            if question.code in RARE_TRUE:
                chance = red_flag
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
                as_of - datetime.timedelta(days=rng.randint(0, 200))
            ).isoformat()
    for later, earlier in DATE_AFTER.items():
        if later in answers and earlier in answers and rng.random() < 0.95:
            start = datetime.date.fromisoformat(answers[earlier])
            span = (as_of - start).days
            answers[later] = (start + datetime.timedelta(days=rng.randint(0, span))).isoformat()
    if "age_years" in answers:
        answers["age_years"] = rng.randint(45, 95)
    return answers
