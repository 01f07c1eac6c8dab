"""The default criteria set and the example cases as plain data, for tests without a database."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from screener import engine

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "vertebroplasty.json"
# A copy of ../shared/domain/examples, so the suite does not reach outside the repository.
EXAMPLES_DIR = ROOT / "tests" / "data" / "examples"


def _number(text: str | None) -> float | int | None:
    if text is None:
        return None
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


@cache
def default_spec() -> engine.CriteriaSpec:
    """The fixture's published set, read straight from the JSON file."""
    records = json.loads(FIXTURE.read_text())
    by_model: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_model.setdefault(record["model"], []).append(record["fields"])

    def ordered(model: str) -> list[dict[str, Any]]:
        return sorted(by_model[model], key=lambda f: f["order"])

    criteria_set = by_model["screener.criteriaset"][-1]
    return engine.CriteriaSpec(
        procedure=criteria_set["procedure"][0],
        version=criteria_set["version"],
        questions=tuple(
            engine.QuestionSpec(
                code=f["code"],
                type=engine.QuestionType(f["type"]),
                requirement=engine.Requirement(f["requirement"]),
                required_when=f["required_when"],
                min_value=_number(f["min_value"]),
                max_value=_number(f["max_value"]),
                choices=tuple(f["choices"]),
                blank_choices=tuple(f["blank_choices"]),
                section=f["section"],
                prompt=f["prompt"],
                label=f["label"],
                filled_by_app=bool(f["filled_from"]),
            )
            for f in ordered("screener.question")
        ),
        parameters=tuple(
            engine.ParameterSpec(f["name"], _number(f["value"]), f["label"])
            for f in ordered("screener.parameter")
        ),
        derived=tuple(
            engine.DerivedSpec(f["name"], f["expression"], f["label"], f["weeks_since"])
            for f in ordered("screener.derivedvalue")
        ),
        rules=tuple(
            engine.RuleSpec(
                code=f["code"],
                effect=engine.Effect(f["effect"]),
                condition=f["condition"],
                emergency=f["emergency"],
                message=f["message"],
                source=f["source"],
                coverage_criterion=f["coverage_criterion"],
                coverage_group=f["coverage_group"],
                payer_wording=f["payer_wording"],
                payer_citation=f["payer_citation"],
            )
            for f in ordered("screener.rule")
        ),
        coding=tuple(
            engine.CodingSpec(
                technique=f["technique"],
                technique_label=f["technique_label"],
                region=f["region"],
                levels=tuple(f["levels"]),
                primary=f["primary_code"],
                addon=f["addon_code"],
                cap_parameter=f["cap_parameter"],
            )
            for f in ordered("screener.codingrow")
        ),
        level_question=criteria_set["coding_level_question"],
        count_question=criteria_set["coding_count_question"],
        diagnoses=tuple(
            engine.DiagnosisSpec(f["code"], f["description"], f["applies_when"])
            for f in ordered("screener.diagnosiscode")
        ),
    )


@cache
def default_compiled() -> engine.CompiledCriteria:
    return engine.compile_criteria(default_spec())


def examples() -> list[tuple[str, dict[str, Any]]]:
    """(file name, case) for every example case of the shared domain folder."""
    return [
        (path.name, json.loads(path.read_text())) for path in sorted(EXAMPLES_DIR.glob("*.json"))
    ]


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES_DIR / name).read_text())


AS_OF = datetime.date(2025, 3, 14)


def default_follow_ups() -> list[Any]:
    """The default set's follow-up visits as (unsaved) rows, read from the fixture."""
    from screener.models import FollowUpVisit

    records = json.loads(FIXTURE.read_text())
    fields = [r["fields"] for r in records if r["model"] == "screener.followupvisit"]
    return [
        FollowUpVisit(label=f["label"], days=f["days"], months=f["months"], order=f["order"])
        for f in sorted(fields, key=lambda f: f["order"])
    ]
