"""Impact preview: what a criteria set would change for intakes already screened.

Each intake is screened again under the set, with its own answers and its original screening
date (the ``as_of`` of its current screening, so the change shown is the criteria's, not the
passing of time), and compared with its current screening: the outcome changes (from -> to,
with counts) and, per changed case, the rules that flipped. Read-only: nothing is written.

The same tally serves ``rescreen`` (dry run and real run), so both print the same table.
The intakes are read in bulk by ``intake.rescreen.selectors``; the report is plain data (it is
stored as JSON on a background job, ``ImpactReport.as_dict``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.urls import reverse

from intake.history import RuleFlip, rule_flips
from intake.rescreen.selectors import (
    IntakeRow,
    earlier_rule_results,
    intake_patients,
    submitted_intake_rows,
)
from screener import adapters, engine
from screener.models import CriteriaSet

# Cases listed one by one in a report (the counts always cover every intake).
MAX_LISTED_CASES = 1000


@dataclass(frozen=True)
class CaseChange:
    intake_id: int
    before: str
    after: str
    flipped: tuple[RuleFlip, ...]
    # Filled for a reader who may see patients (``with_patients``), never stored with a job.
    patient: str = ""
    case_url: str = ""


@dataclass
class ImpactReport:
    """Outcome changes of a set over a batch of intakes."""

    criteria_set: str  # "slug vN"
    evaluated: int = 0
    changes: list[tuple[str, str, int]] = field(default_factory=list)  # (from, to, count)
    cases: list[CaseChange] = field(default_factory=list)
    changed: int = 0
    dropped_answers: int = 0  # intakes with answers the set no longer accepts

    @property
    def unchanged(self) -> int:
        return self.evaluated - self.changed

    def as_dict(self) -> dict[str, Any]:
        return {
            "criteria_set": self.criteria_set,
            "evaluated": self.evaluated,
            "changes": [list(row) for row in self.changes],
            "cases": [
                {
                    "intake_id": case.intake_id,
                    "before": case.before,
                    "after": case.after,
                    "flipped": [
                        [f.code, f.held_before, f.holds_now, f.effect, f.message]
                        for f in case.flipped
                    ],
                }
                for case in self.cases
            ],
            "changed": self.changed,
            "dropped_answers": self.dropped_answers,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImpactReport:
        return cls(
            criteria_set=data["criteria_set"],
            evaluated=data["evaluated"],
            changes=[tuple(row) for row in data["changes"]],
            cases=[
                CaseChange(
                    case["intake_id"],
                    case["before"],
                    case["after"],
                    tuple(RuleFlip(*flip) for flip in case["flipped"]),
                )
                for case in data["cases"]
            ],
            changed=data["changed"],
            dropped_answers=data["dropped_answers"],
        )


def with_patients(report: ImpactReport, can_see_patients: bool) -> ImpactReport:
    """The report with each listed case naming its patient ("last, first, MRN") and linking to
    its case view, for a reader allowed to see patients (physicians); unchanged otherwise
    (a criteria admin sees intake numbers and outcome changes only)."""
    if not can_see_patients or not report.cases:
        return report
    patients = intake_patients([case.intake_id for case in report.cases])
    cases = [
        replace(
            case,
            patient=", ".join(patients[case.intake_id]),
            case_url=reverse("review:case", args=[case.intake_id]),
        )
        if case.intake_id in patients
        else case
        for case in report.cases
    ]
    return replace(report, cases=cases)


def screen_row(
    compiled: engine.CompiledCriteria, row: IntakeRow, fills: Mapping[str, str]
) -> tuple[engine.ScreeningResult, dict[str, Any], dict[str, str]]:
    """(result, answers screened, answers the set does not accept) of one intake.

    The same path as ``adapters.screen_answers``: answers typed leniently (an answer the set no
    longer accepts is left out and reported), the questions the app fills (``fills``, from
    ``adapters.app_filled_questions``) filled from the patient's record at ``as_of``.
    """
    patient = adapters.PatientRecord(date_of_birth=row.date_of_birth, sex=row.sex)
    filled = adapters.app_filled_answers(fills, patient, as_of=row.as_of)
    typed, invalid = adapters.typed_answers(
        compiled.spec, row.answers or {}, as_of=row.as_of, filled=filled
    )
    return engine.screen(compiled, typed, row.as_of), adapters.stored_answers(typed), invalid


class ImpactTally:
    """Counts outcome changes as results come in; lists flipped rules at the end.

    The earlier screening's rule results are read only for intakes whose outcome changed
    (``rule_lookup``), so a large run does not read every screening's rules.
    """

    def __init__(self, criteria_set: CriteriaSet):
        self.label = str(criteria_set)
        self.counts: Counter[tuple[str, str]] = Counter()
        self.evaluated = 0
        self.dropped_answers = 0
        # (intake id, earlier screening id, before, after, rule results after: code and holds)
        self._changed: list[tuple[int, int | None, str, str, list[dict[str, Any]]]] = []

    def add(self, row: IntakeRow, result: engine.ScreeningResult, invalid: dict) -> None:
        self.evaluated += 1
        self.dropped_answers += bool(invalid)
        after = str(result.outcome)
        if after != row.outcome:
            self.counts[(row.outcome, after)] += 1
            if len(self._changed) < MAX_LISTED_CASES:
                rules = [
                    {"code": rule.code, "holds": rule.holds, "message": rule.message}
                    for rule in result.rules
                ]
                self._changed.append((row.intake_id, row.screening_id, row.outcome, after, rules))

    def change_rows(self) -> list[tuple[str, str, int]]:
        """(from, to, count), most frequent first."""
        return [
            (before, after, count)
            for (before, after), count in sorted(
                self.counts.items(), key=lambda item: (-item[1], item[0])
            )
        ]

    def report(
        self, rule_lookup: Callable[[list[int]], dict[int, list[dict]]] | None = None
    ) -> ImpactReport:
        screening_ids = [s for _i, s, *_ in self._changed if s is not None]
        earlier = rule_lookup(screening_ids) if rule_lookup and screening_ids else {}
        cases = []
        for intake_id, screening_id, before, after, rules in self._changed:
            # Code, result and message: a report lists which rules flipped, kept as JSON.
            earlier_rules = [
                {"code": r["code"], "holds": r["holds"], "message": r.get("message", "")}
                for r in earlier.get(screening_id, [])
            ]
            flips = rule_flips(earlier_rules, rules)
            cases.append(CaseChange(intake_id, before, after, flips))
        changed = sum(self.counts.values())
        return ImpactReport(
            criteria_set=self.label,
            evaluated=self.evaluated,
            changes=self.change_rows(),
            cases=cases,
            changed=changed,
            dropped_answers=self.dropped_answers,
        )


def evaluate_rows(
    compiled: engine.CompiledCriteria, rows: Iterable[IntakeRow], fills: Mapping[str, str]
) -> Iterator[tuple[IntakeRow, engine.ScreeningResult, dict[str, Any], dict[str, str]]]:
    for row in rows:
        result, screened, invalid = screen_row(compiled, row, fills)
        yield row, result, screened, invalid


def impact_preview(
    *,
    criteria_set: CriteriaSet,
    limit: int = 500,
    progress: Callable[[int, int, ImpactTally], None] | None = None,
    every: int = 500,
) -> ImpactReport:
    """Screen the last ``limit`` submitted intakes of the set's procedure under the set.

    Raises engine.CriteriaInvalid when the set's expressions do not check.
    """
    compiled = adapters.compiled_criteria(criteria_set)  # compiled once for every intake
    rows = submitted_intake_rows(procedure=criteria_set.procedure, limit=limit)
    total = len(rows)
    tally = ImpactTally(criteria_set)
    for done, (row, result, _screened, invalid) in enumerate(
        evaluate_rows(compiled, rows, adapters.app_filled_questions(criteria_set)), 1
    ):
        tally.add(row, result, invalid)
        if progress and (done % every == 0 or done == total):
            progress(done, total, tally)
    if progress and total == 0:
        progress(0, 0, tally)
    return tally.report(earlier_rule_results)


# ------------------------------------------------------------------------------------------
# Text table for the command line


def format_report(report: ImpactReport) -> str:
    lines = [f"{report.evaluated:,} intakes screened under {report.criteria_set}."]
    if report.changes:
        lines.append("")
        lines.append(f"{'from':<25}{'to':<25}{'intakes':>8}")
        for before, after, count in report.changes:
            lines.append(f"{before:<25}{after:<25}{count:>8,}")
    lines.append("")
    lines.append(f"Outcome changed: {report.changed:,}; unchanged: {report.unchanged:,}.")
    if report.dropped_answers:
        lines.append(
            f"{report.dropped_answers:,} intakes have answers this set does not accept "
            "(left out when screening)."
        )
    if report.cases:
        lines.append("")
        lines.append("Changed cases (rules that flipped):")
        for case in report.cases:
            flips = "; ".join(f.describe() for f in case.flipped) or "no rule flipped"
            lines.append(f"  intake {case.intake_id}: {case.before} -> {case.after}: {flips}")
        if len(report.cases) < report.changed:
            lines.append(f"  ... and {report.changed - len(report.cases):,} more")
    return "\n".join(lines)
