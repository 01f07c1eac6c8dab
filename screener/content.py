"""The content blocks of a criteria set: which ones a page shows, and their text filled in.

A block says who reads it (``readers``) and when it is shown (``shown_with``: a suggested
outcome, or ``decision:<kind>`` once a physician's decision of that kind is in force). Pages
ask for the blocks of one reader at one moment; nothing here knows a block's kind.

Placeholders in a block's text are filled by plain substitution, never through the template
engine: ``{name}`` is a parameter's value, ``{date_after_onset:name}`` the date that many weeks
(a parameter) after the onset date: the answer to the date question that the set's first
"weeks since" value counts from (``onset_question``). An unknown placeholder is left as written (and reported
by ``placeholder_problems`` when the set is checked).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from screener.engine import CriteriaProblem, CriteriaSpec
from screener.models import DATE_AFTER_ONSET, DECISION_PREFIX, PLACEHOLDER, ContentBlock

NO_ONSET_TEXT = "(a date the clinic will give you: the onset date is not recorded)"


@dataclass(frozen=True)
class ContentSection:
    """A block as a page shows it: its kind, title and filled-in lines."""

    kind: str
    title: str
    items: list[str]


def onset_question(spec: CriteriaSpec) -> str:
    """The set's onset: the date question its first "weeks since" value counts from ("" when
    the set counts none)."""
    return next((d.weeks_since for d in spec.derived if d.weeks_since), "")


def decision_moment(kind: str) -> str:
    """The ``shown_with`` token of a decision in force."""
    return f"{DECISION_PREFIX}{kind}"


def format_number(value: float | int) -> str:
    """A parameter as people write it: 5, not 5.0 or 5E+1."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value}"


def fill_placeholders(
    text: str, *, parameters: Mapping[str, float | int], onset: datetime.date | None = None
) -> str:
    """The text with its placeholders replaced by plain substitution."""

    def replace(match) -> str:  # type: ignore[no-untyped-def]
        name, argument = match.group(1), match.group(2)
        if argument is None:
            if name in parameters:
                return format_number(parameters[name])
            return match.group(0)
        if name == DATE_AFTER_ONSET and argument in parameters:
            if onset is None:
                return NO_ONSET_TEXT
            day = onset + datetime.timedelta(days=round(7 * parameters[argument]))
            return f"{day:%B} {day.day}, {day.year}"
        return match.group(0)

    return PLACEHOLDER.sub(replace, text)


def placeholder_problems(text: str, *, parameter_names: Iterable[str]) -> list[str]:
    """Placeholders of a text that name no parameter of the set (each named once)."""
    known = set(parameter_names)
    problems = []
    for match in PLACEHOLDER.finditer(text):
        name, argument = match.group(1), match.group(2)
        if argument is None and name not in known:
            problems.append(f"{{{name}}} names no parameter of this set")
        elif argument is not None and (name != DATE_AFTER_ONSET or argument not in known):
            problems.append(
                f"{match.group(0)} is not a placeholder: use {{parameter}} or "
                f"{{{DATE_AFTER_ONSET}:parameter}}"
            )
    return list(dict.fromkeys(problems))


def content_problems(
    blocks: Iterable[ContentBlock], *, parameter_names: Iterable[str]
) -> list[CriteriaProblem]:
    """Placeholders of the set's blocks that name no parameter, each on its block."""
    names = list(parameter_names)
    return [
        CriteriaProblem("content_block", block.kind, "body", problem)
        for block in blocks
        for problem in placeholder_problems(
            f"{block.title}\n{block.body}\n{block.title_es}\n{block.body_es}", parameter_names=names
        )
    ]


def sections_for(
    blocks: Iterable[ContentBlock],
    *,
    reader: str,
    moments: Iterable[str],
    parameters: Mapping[str, float | int],
    onset: datetime.date | None = None,
) -> list[ContentSection]:
    """The blocks a reader sees at these moments, in set order, with their text filled in."""
    wanted = set(moments)
    chosen = sorted(
        (
            block
            for block in blocks
            if reader in (block.readers or ()) and wanted & set(block.shown_with or ())
        ),
        key=lambda block: (block.order, block.pk or 0),
    )
    return [
        ContentSection(
            kind=block.kind,
            title=fill_placeholders(block.title, parameters=parameters, onset=onset),
            items=[
                fill_placeholders(line, parameters=parameters, onset=onset) for line in block.items
            ],
        )
        for block in chosen
    ]
