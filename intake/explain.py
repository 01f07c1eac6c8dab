"""Why a rule held or did not: the values its condition read, in words. Pure: no Django.

The engine reports, for every rule, the answers, derived values and parameters its condition
read, with their values (``values`` of each stored rule result). This turns them into the line
a person reads beside the rule: "pain 4, outpatient minimum 5", "INR 3.5, limit 1.5",
"inpatient: no", "pain trend: not answered".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

NOT_ANSWERED = "not answered"


def value_text(value: Any, *, as_typed: bool = False) -> str:
    """One value as a person reads it: booleans as yes/no, a blank as "not answered", numbers
    to two decimals without trailing zeros (or ``as_typed``: exactly as stored)."""
    if value is None:
        return NOT_ANSWERED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and not as_typed:
        return f"{round(value, 2):g}"
    return str(value)


def value_pairs(values: Mapping[str, Any] | Iterable[Sequence[Any]] | None) -> list[tuple]:
    """A rule's stored values as (name, value) pairs: screenings store [name, value] pairs
    (jsonb keeps no key order); a JSON object, as ``screen`` prints it, is read too."""
    if not values:
        return []
    if isinstance(values, Mapping):
        return list(values.items())
    return [(name, value) for name, value in values]


def values_text(
    values: Mapping[str, Any] | Iterable[Sequence[Any]] | None, labels: Mapping[str, str]
) -> str:
    """The values a rule read, each named by its label, in the order the condition names them."""
    parts = []
    for name, value in value_pairs(values):
        label = labels.get(name) or name.replace("_", " ")
        if value is None or isinstance(value, bool):
            parts.append(f"{label}: {value_text(value)}")
        else:
            parts.append(f"{label} {value_text(value)}")
    return ", ".join(parts)
