"""A criteria set as plain JSON data: export, validation of an import, and snapshot diffs.

The same data serves three purposes: ``export_criteria`` writes it, ``import_criteria`` reads
it back as a new draft (a round trip gives an identical set), and the change log diffs two
snapshots of a set to say what an edit changed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from screener import engine
from screener.models import (
    ContentBlock,
    CriteriaItem,
    CriteriaSet,
    DerivedValue,
    GoldenCase,
    Parameter,
    Question,
    Rule,
)
from screener.validation import spec_from_items

FORMAT = "spine-screener-criteria"
FORMAT_VERSION = 1

# Section of the file -> (model, key field, label used in messages). In set order.
SECTIONS: dict[str, tuple[type[CriteriaItem], str, str]] = {
    "questions": (Question, "code", "Question"),
    "parameters": (Parameter, "name", "Parameter"),
    "derived_values": (DerivedValue, "name", "Derived value"),
    "rules": (Rule, "code", "Rule"),
    "content_blocks": (ContentBlock, "kind", "Content block"),
    "golden_cases": (GoldenCase, "name", "Golden case"),
}
SET_FIELDS = ("notes", "cpt_primary_thoracic", "cpt_primary_lumbar", "cpt_addon")


def item_fields(model: type[models.Model]) -> list[models.Field]:
    """The fields of a part that the file carries (everything but its id and its set)."""
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in ("id", "criteria_set") and f.editable
    ]


def _to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# ------------------------------------------------------------------------------------------
# Export


def criteria_set_data(criteria_set: CriteriaSet) -> dict[str, Any]:
    """The whole set as JSON-ready data, parts in set order."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "procedure": {
            "slug": criteria_set.procedure.slug,
            "name": criteria_set.procedure.name,
            "description": criteria_set.procedure.description,
        },
        "criteria_set": {
            "version": criteria_set.version,
            "status": criteria_set.status,
            **{name: getattr(criteria_set, name) for name in SET_FIELDS},
        },
    }
    for section, (model, _key, _label) in SECTIONS.items():
        fields = item_fields(model)
        data[section] = [
            {f.name: _to_json(getattr(item, f.attname)) for f in fields}
            for item in model.objects.filter(criteria_set=criteria_set).order_by("order", "id")
        ]
    return data


# ------------------------------------------------------------------------------------------
# Import: check everything first, write nothing until all of it is sound


class CriteriaFileInvalid(ValueError):
    """A criteria file that cannot be imported; ``errors`` lists every reason found."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass
class ParsedCriteria:
    procedure: dict[str, str]
    criteria_set: CriteriaSet  # unsaved, procedure unset
    items: dict[str, list[CriteriaItem]]  # unsaved, criteria_set unset


def _from_json(field: models.Field, value: Any, where: str) -> Any:
    if value is None:
        return None
    if isinstance(field, models.DecimalField):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{where}: expected a number, got {value!r}")
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{where}: {value!r} is not a number") from None
    if isinstance(field, models.DateField):
        if not isinstance(value, str):
            raise ValueError(f"{where}: expected a date as YYYY-MM-DD, got {value!r}")
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not a date as YYYY-MM-DD") from None
    if isinstance(field, models.BooleanField) and not isinstance(value, bool):
        raise ValueError(f"{where}: expected true or false, got {value!r}")
    if isinstance(field, models.PositiveIntegerField) and (
        isinstance(value, bool) or not isinstance(value, int)
    ):
        raise ValueError(f"{where}: expected a whole number, got {value!r}")
    if isinstance(field, models.CharField | models.TextField) and not isinstance(value, str):
        raise ValueError(f"{where}: expected text, got {value!r}")
    return value


def _validation_lines(where: str, error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{where}.{name}: {message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [f"{where}: {message}" for message in error.messages]


def _build(
    model: type[models.Model],
    record: Any,
    where: str,
    errors: list[str],
    fields: list,
    exclude: tuple[str, ...] = ("criteria_set",),
) -> Any:
    if not isinstance(record, dict):
        errors.append(f"{where}: expected an object")
        return None
    known = {f.name: f for f in fields}
    unknown = sorted(set(record) - set(known))
    if unknown:
        errors.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    values = {}
    unusable = []  # already reported: not checked again
    for name, value in record.items():
        if name not in known:
            continue
        try:
            values[known[name].attname] = _from_json(known[name], value, f"{where}.{name}")
        except ValueError as exc:
            errors.append(str(exc))
            unusable.append(name)
    instance = model(**values)
    try:
        instance.full_clean(
            exclude=[*exclude, *unusable], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        errors.extend(_validation_lines(where, exc))
    return instance


def parse_criteria_data(data: Any) -> ParsedCriteria:
    """Check a criteria file's data; raise CriteriaFileInvalid listing every problem."""
    if not isinstance(data, dict):
        raise CriteriaFileInvalid(["the file must hold one JSON object (a criteria set)"])
    errors: list[str] = []
    if data.get("format") != FORMAT:
        errors.append(f"format: expected {FORMAT!r}, got {data.get('format')!r}")
    if data.get("format_version") != FORMAT_VERSION:
        errors.append(
            f"format_version: expected {FORMAT_VERSION}, got {data.get('format_version')!r}"
        )
    procedure = data.get("procedure")
    if (
        not isinstance(procedure, dict)
        or not isinstance(procedure.get("slug"), str)
        or not procedure["slug"]
    ):
        errors.append("procedure: expected an object with a slug")
        procedure = {"slug": ""}
    elif not isinstance(procedure.get("name", ""), str) or not isinstance(
        procedure.get("description", ""), str
    ):
        errors.append("procedure: name and description must be text")
    set_record = data.get("criteria_set")
    set_fields = [f for f in CriteriaSet._meta.concrete_fields if f.name in SET_FIELDS]
    if isinstance(set_record, dict):
        # version and status are those of the exported set; an import is always a new draft.
        set_record = {k: v for k, v in set_record.items() if k not in ("version", "status")}
    criteria_set = _build(
        CriteriaSet, set_record, "criteria_set", errors, set_fields, ("procedure", "version")
    )

    unknown_sections = sorted(
        set(data) - {"format", "format_version", "procedure", "criteria_set", *SECTIONS}
    )
    if unknown_sections:
        errors.append(f"unknown section(s): {', '.join(unknown_sections)}")
    items: dict[str, list[CriteriaItem]] = {}
    for section, (model, key, label) in SECTIONS.items():
        records = data.get(section, [])
        if not isinstance(records, list):
            errors.append(f"{section}: expected a list")
            records = []
        fields = item_fields(model)
        built = []
        seen: set[str] = set()
        for index, record in enumerate(records):
            item = _build(model, record, f"{section}[{index}]", errors, fields)
            if item is None:
                continue
            name = getattr(item, key)
            if name in seen:
                errors.append(f"{section}[{index}]: {label} {name} is listed twice")
            seen.add(name)
            built.append(item)
        items[section] = built
    if errors:
        raise CriteriaFileInvalid(errors)

    spec = spec_from_items(
        procedure_slug=procedure["slug"],
        version=0,
        criteria_set=criteria_set,
        questions=items["questions"],
        parameters=items["parameters"],
        derived=items["derived_values"],
        rules=items["rules"],
    )
    problems = engine.check_criteria(spec)
    if problems:
        raise CriteriaFileInvalid([str(problem) for problem in problems])
    return ParsedCriteria(
        procedure={
            "slug": procedure["slug"],
            "name": procedure.get("name") or procedure["slug"],
            "description": procedure.get("description", ""),
        },
        criteria_set=criteria_set,
        items=items,
    )


# ------------------------------------------------------------------------------------------
# Snapshot diffs for the change log


def _show(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def snapshot_diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Human lines saying what changed between two ``criteria_set_data`` snapshots."""
    lines = []
    for name in SET_FIELDS:
        old, new = before["criteria_set"].get(name), after["criteria_set"].get(name)
        if old != new:
            lines.append(f"Set {name}: {_show(old)} -> {_show(new)}")
    for section, (_model, key, label) in SECTIONS.items():
        old_rows = {row[key]: row for row in before.get(section, [])}
        new_rows = {row[key]: row for row in after.get(section, [])}
        for name, row in new_rows.items():
            if name not in old_rows:
                lines.append(f"{label} {name} added")
                continue
            for field, value in row.items():
                if old_rows[name].get(field) != value:
                    lines.append(
                        f"{label} {name}: {field} {_show(old_rows[name].get(field))} -> "
                        f"{_show(value)}"
                    )
        lines.extend(f"{label} {name} removed" for name in old_rows if name not in new_rows)
    return lines
