"""Varied, valid generated cases for benchmarks (seeded: the same cases on every run)."""

from __future__ import annotations

import datetime
import random
from typing import Any

from benchmarks import synthetic_answers
from screener import engine

AS_OF = datetime.date(2025, 3, 14)


def random_answers(spec: engine.CriteriaSpec, rng: random.Random) -> dict[str, Any]:
    """The seeding's answers (``benchmarks.synthetic_answers.random_answers``) as of the benchmarks' date."""
    return synthetic_answers.random_answers(spec, rng, AS_OF)


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
