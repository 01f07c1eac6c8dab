"""``manage.py screen`` writes each result as ``json.dumps(result.as_dict())`` would, byte for
byte, though it builds the text faster (``result_json``)."""

from __future__ import annotations

import datetime
import json
import random

import pytest

from benchmarks.synthetic_answers import random_answers
from screener import adapters, engine
from screener.management.commands.screen import result_json

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2025, 3, 14)


def test_result_json_is_the_contract_text_for_generated_cases(default_set):
    """400 varied cases (many blanks: blank derived values are NaN; dates among the values)."""
    compiled = adapters.compiled_criteria(default_set)
    rng = random.Random(20251207)
    values_seen = set()
    for _ in range(400):
        answers = engine.parse_answers(
            compiled.spec, random_answers(compiled.spec, rng, AS_OF, blank=0.2), AS_OF
        )
        result = engine.screen(compiled, answers, AS_OF)
        assert result_json(result) == json.dumps(result.as_dict(), ensure_ascii=False)
        for rule in result.rules:
            for _name, value in rule.values:
                values_seen.add("nan" if value != value else type(value).__name__)
    assert {"nan", "date", "bool", "NoneType", "int"} <= values_seen


def test_result_json_keeps_text_that_needs_escaping():
    """Quotes, backslashes, new lines and non-ASCII text in a set's messages, as json.dumps."""
    rule = engine.RuleResult(
        code="r1",
        effect=engine.Effect.CONTRAINDICATION,
        holds=True,
        needs=("q\\1",),
        message='Pain "severe"\nand\tlong — über',
        source="§ 4.2",
        values=(("when", datetime.date(2025, 1, 2)), ("score", 2.5), ("blank", float("nan"))),
    )
    result = engine.ScreeningResult(
        procedure="p",
        version=3,
        outcome=engine.Outcome.CONTRAINDICATED,
        emergency=False,
        missing=("a", "b"),
        rules=(rule,),
        suggested_codes=("X1",),
        as_of=AS_OF,
    )
    assert result_json(result) == json.dumps(result.as_dict(), ensure_ascii=False)
