"""No code names a procedure: the default set's question codes, rule codes, parameters, CPT
codes, follow-up offsets and procedure names appear in no Python file or template of the app
outside migrations. Procedure facts are criteria data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.criteria_data import FIXTURE, ROOT

SEARCHED = [ROOT / "screener", ROOT / "intake", ROOT / "authorization", ROOT / "templates"]


def default_set_names() -> dict[str, str]:
    """What the default set names, each with what it is (for the failure message)."""
    names: dict[str, str] = {}
    for record in json.loads(FIXTURE.read_text()):
        fields, model = record["fields"], record["model"]
        if model == "screener.question":
            names[fields["code"]] = "question code"
        elif model == "screener.rule":
            names[fields["code"]] = "rule code"
        elif model in ("screener.parameter", "screener.derivedvalue"):
            names[fields["name"]] = "parameter or derived value"
        elif model == "screener.codingrow":
            names[fields["primary_code"]] = "CPT code"
            names[fields["addon_code"]] = "CPT code"
            names[fields["technique"]] = "technique"
        elif model == "screener.diagnosiscode":
            names[fields["code"]] = "ICD-10-CM code"
        elif model == "screener.procedure":
            names[fields["slug"]] = "procedure"
    return names


def follow_up_offsets() -> re.Pattern[str]:
    """The default set's follow-up offsets as code would write them (``days=7``,
    ``add_months(day, 3)``)."""
    patterns = []
    for record in json.loads(FIXTURE.read_text()):
        if record["model"] != "screener.followupvisit":
            continue
        days, months = record["fields"]["days"], record["fields"]["months"]
        if days:
            patterns.append(rf"days\s*=\s*{days}\b|timedelta\(\s*{days}\s*\)")
        if months:
            patterns.append(rf"months\s*=\s*{months}\b|add_months\([^,()]+,\s*{months}\s*\)")
    return re.compile("|".join(patterns))


# Procedure and technique names are looked for in any case ("Vertebroplasty" in prose too);
# codes as written.
ANY_CASE = ("procedure", "technique")


def searched_files(roots: list[Path]) -> list[Path]:
    return sorted(
        path
        for root in roots
        for path in root.rglob("*")
        if path.suffix in (".py", ".html", ".txt", ".js")
        and "migrations" not in path.parts
        and path.is_file()
    )


def _words(names: list[str], flags: int = 0) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_])({alternatives})(?![A-Za-z0-9_])", flags)


def findings(roots: list[Path]) -> list[str]:
    names = default_set_names()
    codes = _words([n for n, kind in names.items() if kind not in ANY_CASE])
    procedures = _words([n for n, kind in names.items() if kind in ANY_CASE], re.IGNORECASE)
    offsets = follow_up_offsets()
    found = []
    for path in searched_files(roots):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{number}"
            for match in [*codes.finditer(line), *procedures.finditer(line)]:
                name = match.group(1)
                found.append(f"{where}: {names.get(name, names.get(name.lower()))} {name}")
            if path.suffix == ".py" and offsets.search(line):
                found.append(f"{where}: a follow-up offset: {line.strip()}")
    return found


def test_no_procedure_fact_is_written_into_the_code():
    assert findings(SEARCHED) == []


def test_the_search_finds_a_planted_fact(tmp_path):
    """The check can fail: a file naming a question code and a follow-up offset is found."""
    planted = tmp_path / "planted.py"
    planted.write_text(
        'LEVEL = "fracture_level"\nWEEK = dict(days=7)\nCODE = "+22512"\n# Kyphoplasty\n'
    )
    assert findings([tmp_path]) == [
        f"{planted}:1: question code fracture_level",
        f"{planted}:2: a follow-up offset: WEEK = dict(days=7)",
        f"{planted}:3: CPT code 22512",
        f"{planted}:4: technique Kyphoplasty",
    ]


@pytest.mark.parametrize("name", ["symptom_onset_date", "max_levels", "22510", "kyphoplasty"])
def test_the_names_searched_include_the_default_sets(name):
    assert name in default_set_names()
