"""What changed between two screenings of an intake: a pure diff, no Django, no database.

A screening is given as plain data (``Snapshot``): the answers screened (question code -> JSON
value, blanks left out), the rule results as stored (dicts with code, effect, holds, message),
the criteria version and the outcome. The diff lists

- the answers that changed (a question answered, cleared or given a new value),
- the rules that flipped: held before and no longer hold, or the other way round; under a new
  criteria version also a rule that is new and holds, or that is gone and held before,
- the criteria version, when the later screening was made under another one (a re-screen),
- the outcome and the emergency flag, when they changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from intake.explain import value_text


def answer_text(value: Any) -> str:
    """An answer as a person reads it: Yes/No for booleans, "not answered" for a blank, a
    number as it was typed (an INR of 1.0, never "Yes"), and a choice as the form labels it
    ("high_energy" reads "High energy", "stable" "Stable"; a date or "L1" stays as it is)."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str) and value[:1].isalpha():
        label = value.replace("_", " ")
        return label[:1].upper() + label[1:]
    return value_text(value, as_typed=True)


@dataclass(frozen=True, slots=True)
class Snapshot:
    answers: Mapping[str, Any]
    rules: Sequence[Mapping[str, Any]]
    criteria_version: int
    outcome: str
    emergency: bool = False


@dataclass(frozen=True, slots=True)
class AnswerChange:
    code: str
    before: Any  # None: not answered
    after: Any

    @property
    def before_text(self) -> str:
        return answer_text(self.before)

    @property
    def after_text(self) -> str:
        return answer_text(self.after)


@dataclass(frozen=True, slots=True)
class RuleFlip:
    """A rule whose result differs between two screenings (the case view's history, and the
    impact preview's changed cases: ``intake.rescreen.impact``)."""

    code: str
    held_before: bool | None  # None: the rule was not in the earlier criteria version
    holds_now: bool | None  # None: the rule is not in the later criteria version
    effect: str = ""  # "" when the results compared do not carry it (impact preview)
    message: str = ""

    @property
    def change_text(self) -> str:
        if self.held_before is None:
            return "new rule, holds"
        if self.holds_now is None:
            return "rule removed (it held before)"
        return "now holds" if self.holds_now else "no longer holds"

    def describe(self) -> str:
        """``code: holds -> does not hold`` (``absent`` for a rule not in a version)."""

        def word(value: bool | None) -> str:
            return {True: "holds", False: "does not hold", None: "absent"}[value]

        return f"{self.code}: {word(self.held_before)} -> {word(self.holds_now)}"


def rule_flips(
    before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]
) -> tuple[RuleFlip, ...]:
    """The rules whose result differs from ``before`` to ``after``, in ``after``'s order and
    then ``before``'s.

    Each side is a list of rule results as stored (dicts with ``code`` and ``holds``, and
    ``effect`` and ``message`` when known). A rule flips when it held and no longer holds or
    the other way round; under another criteria version also when it is new and holds, or is
    gone and held before. A new rule that does not hold, or a gone one that did not, changes
    nothing for the case.
    """
    held_before = {rule["code"]: bool(rule["holds"]) for rule in before}
    flips: list[RuleFlip] = []
    seen: set[str] = set()
    for rule in after:
        code = rule["code"]
        seen.add(code)
        holds_now = bool(rule["holds"])
        earlier = held_before.get(code)
        if earlier is None and not holds_now:
            continue
        if earlier != holds_now:
            flips.append(_flip(rule, earlier, holds_now))
    for rule in before:
        if rule["code"] not in seen and rule["holds"]:
            flips.append(_flip(rule, True, None))
    return tuple(flips)


def _flip(rule: Mapping[str, Any], held_before: bool | None, holds_now: bool | None) -> RuleFlip:
    return RuleFlip(
        code=rule["code"],
        held_before=held_before,
        holds_now=holds_now,
        effect=rule.get("effect", ""),
        message=rule.get("message", ""),
    )


@dataclass(frozen=True, slots=True)
class ScreeningDiff:
    answers: tuple[AnswerChange, ...]
    rules: tuple[RuleFlip, ...]
    criteria_version: tuple[int, int] | None  # (before, after) when it changed
    outcome: tuple[str, str] | None
    emergency: tuple[bool, bool] | None

    @property
    def changed(self) -> bool:
        return bool(
            self.answers
            or self.rules
            or self.criteria_version
            or self.outcome
            or self.emergency is not None
        )


def _ordered(codes: set[str], order: Sequence[str]) -> list[str]:
    """Codes in checklist order; codes the order does not know go last, alphabetically."""
    position = {code: i for i, code in enumerate(order)}
    return sorted(codes, key=lambda code: (position.get(code, len(position)), code))


def diff_screenings(
    before: Snapshot, after: Snapshot, *, question_order: Sequence[str] = ()
) -> ScreeningDiff:
    """What changed from ``before`` to ``after`` (answers in ``question_order``)."""
    changed_codes = {
        code
        for code in before.answers.keys() | after.answers.keys()
        if before.answers.get(code) != after.answers.get(code)
    }
    answers = tuple(
        AnswerChange(code, before.answers.get(code), after.answers.get(code))
        for code in _ordered(changed_codes, question_order)
    )

    return ScreeningDiff(
        answers=answers,
        rules=rule_flips(before.rules, after.rules),
        criteria_version=(
            (before.criteria_version, after.criteria_version)
            if before.criteria_version != after.criteria_version
            else None
        ),
        outcome=(before.outcome, after.outcome) if before.outcome != after.outcome else None,
        emergency=(
            (before.emergency, after.emergency) if before.emergency != after.emergency else None
        ),
    )
