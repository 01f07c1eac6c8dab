"""A criteria set as plain JSON data: export, validation of an import, and snapshot diffs.

The same data serves three purposes: ``export_criteria`` writes it, ``import_criteria`` reads
it back as a new draft (a round trip gives an identical set), and the change log diffs two
snapshots of a set to say what an edit changed. ``default_criteria_data`` reads the shipped
default set (a ``loaddata`` fixture) into the same shape, for ``import_criteria --default``.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.db import models

from screener import adapters, engine
from screener.labels import outcome_text
from screener.models import (
    CodingRow,
    ContentBlock,
    CriteriaItem,
    CriteriaSet,
    CriteriaSetStatus,
    DerivedValue,
    DiagnosisCode,
    FollowUpVisit,
    GoldenCase,
    Parameter,
    Procedure,
    Question,
    Rule,
)
from screener.validation import row_key

FORMAT = "spine-screener-criteria"
# 2: the coding table, follow-up visits and "weeks since" values replaced the CPT columns and
# the values the code used to build in.
# 3: a question filled by the app names the patient fact that fills it (``filled_from``, was the
# yes/no ``derived_by_app``, which meant the age for a number question).
# 4: coverage criteria on rules (coverage_criterion, coverage_group, payer_wording,
# payer_citation), the set's coverage policy and its revision date, and the diagnosis codes.
# A file of format 2 or 3 has none of them: its rules are no coverage criteria.
FORMAT_VERSION = 4
READABLE_FORMAT_VERSIONS = (2, 3, 4)

# Section of the file -> (model, key field(s), label used in messages). In set order.
SECTIONS: dict[str, tuple[type[CriteriaItem], str | tuple[str, ...], str]] = {
    "questions": (Question, "code", "Question"),
    "parameters": (Parameter, "name", "Parameter"),
    "derived_values": (DerivedValue, "name", "Derived value"),
    "rules": (Rule, "code", "Rule"),
    "coding_table": (CodingRow, ("technique", "region"), "Coding row"),
    "diagnosis_codes": (DiagnosisCode, "code", "Diagnosis code"),
    "follow_up_visits": (FollowUpVisit, "label", "Follow-up visit"),
    "content_blocks": (ContentBlock, "kind", "Content block"),
    "golden_cases": (GoldenCase, "name", "Golden case"),
}
# procedure_name: the procedure's name as this version shows it (a file written before the
# field existed takes the name of its procedure).
SET_FIELDS = (
    "procedure_name",
    "notes",
    "coding_level_question",
    "coding_count_question",
    "codes_note",
    "coverage_policy",
    "coverage_policy_revised",
)


def _with_procedure_name(set_record: Any, procedure: Any) -> Any:
    """A set's record naming its procedure: an older file's record takes the procedure's name."""
    if (
        isinstance(set_record, dict)
        and "procedure_name" not in set_record
        and isinstance(procedure, dict)
        and isinstance(procedure.get("name") or procedure.get("slug"), str)
    ):
        return {**set_record, "procedure_name": procedure.get("name") or procedure.get("slug")}
    return set_record


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
            **{name: _to_json(getattr(criteria_set, name)) for name in SET_FIELDS},
        },
    }
    for section, (model, _key, _label) in SECTIONS.items():
        fields = item_fields(model)
        data[section] = [
            {f.name: _to_json(getattr(item, f.attname)) for f in fields}
            for item in model.objects.filter(criteria_set=criteria_set).order_by("order", "id")
        ]
    return data


def criteria_content(data: dict[str, Any]) -> dict[str, Any]:
    """What a version holds, from criteria data: the set's fields and its parts.

    Leaves out what is not the set's content: the format, the procedure (shared by every
    version), and the version and status (which a store assigns).
    """
    set_record = _with_procedure_name(data["criteria_set"], data.get("procedure"))
    return {
        "criteria_set": {name: set_record.get(name) for name in SET_FIELDS},
        **{section: data.get(section, []) for section in SECTIONS},
    }


def criteria_set_holding(data: dict[str, Any]) -> CriteriaSet | None:
    """The set of data's procedure that already holds exactly data's content, if any.

    Looks at the published set in force (the newest) first, then the drafts, newest first;
    retired and older published versions are history and are not compared.
    """
    sets = list(
        CriteriaSet.objects.filter(procedure__slug=data["procedure"]["slug"])
        .select_related("procedure")
        .order_by("-version")
    )
    published = [s for s in sets if s.status == CriteriaSetStatus.PUBLISHED][:1]
    drafts = [s for s in sets if s.status == CriteriaSetStatus.DRAFT]
    content = criteria_content(data)
    for criteria_set in published + drafts:
        if criteria_content(criteria_set_data(criteria_set)) == content:
            return criteria_set
    return None


# ------------------------------------------------------------------------------------------
# The shipped default set (a loaddata fixture) as criteria data


class DefaultCriteriaUnavailable(LookupError):
    """No shipped default criteria for a slug, or its fixture cannot be read; one-line reason."""


def default_fixture_path(slug: str) -> Path:
    """``<slug>.json`` in the first of settings.FIXTURE_DIRS that holds it."""
    if not slug_re.match(slug):
        raise DefaultCriteriaUnavailable(f"{slug!r} is not a procedure slug.")
    for folder in settings.FIXTURE_DIRS:
        path = Path(folder) / f"{slug}.json"
        if path.is_file():
            return path
    folders = ", ".join(str(folder) for folder in settings.FIXTURE_DIRS) or "none configured"
    raise DefaultCriteriaUnavailable(
        f"No default criteria for {slug!r}: no {slug}.json in the fixture folders ({folders})."
    )


def _fixture_value(field: models.Field, fields: dict[str, Any]) -> Any:
    """One field of a fixture record as ``criteria_set_data`` writes it; a field the record
    leaves out gets the model's default, as ``loaddata`` would give it."""
    raw = fields[field.name] if field.name in fields else field.get_default()
    try:
        return _to_json(field.to_python(raw))
    except ValidationError:
        return raw  # the import names the field and why


def _fixture_fields(model: type[models.Model], fields: dict[str, Any]) -> dict[str, Any]:
    """A fixture record's fields as ``criteria_set_data`` writes them.

    A field the file format does not carry, or a value of the wrong type, is passed on
    unchanged, so the import reports it rather than losing it.
    """
    values = {field.name: _fixture_value(field, fields) for field in item_fields(model)}
    unknown = {n: v for n, v in fields.items() if n != "criteria_set" and n not in values}
    return values | unknown


def default_criteria_data(slug: str) -> dict[str, Any]:
    """The shipped default set of a procedure (``fixtures/<slug>.json``) as criteria data.

    The same data ``criteria_set_data`` gives for the set once loaded: the procedure, the set's
    fields and each section's parts in set order, without a version or status (the fixture's
    are those of a fresh install; an import makes the procedure's next draft). Ids and dates of
    the fixture are ignored. When the fixture holds several versions, the highest is taken.
    Raises DefaultCriteriaUnavailable.
    """
    path = default_fixture_path(slug)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefaultCriteriaUnavailable(f"Cannot read {path}: {exc}") from None
    try:
        records = json.loads(text)
    except ValueError as exc:
        raise DefaultCriteriaUnavailable(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(records, list) or not all(
        isinstance(record, dict) and isinstance(record.get("fields"), dict) for record in records
    ):
        raise DefaultCriteriaUnavailable(f"{path} is not a fixture (a list of records).")

    def of(model: type[models.Model]) -> list[dict[str, Any]]:
        label = model._meta.label_lower
        return [record["fields"] for record in records if record.get("model") == label]

    procedure = next((f for f in of(Procedure) if f.get("slug") == slug), {"slug": slug})
    sets = [f for f in of(CriteriaSet) if f.get("procedure") == [slug]]
    if not sets:
        raise DefaultCriteriaUnavailable(f"{path} holds no criteria set for {slug!r}.")
    version = max(f.get("version", 0) for f in sets)
    # The fixture writes a set as a draft, then its parts, then the same set as published.
    set_fields = [f for f in sets if f.get("version", 0) == version][-1]
    data: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "procedure": {
            "slug": slug,
            "name": procedure.get("name", ""),
            "description": procedure.get("description", ""),
        },
        "criteria_set": {
            name: _fixture_value(CriteriaSet._meta.get_field(name), set_fields)
            for name in SET_FIELDS
            if name in set_fields or name != "procedure_name"
        },
    }
    data["criteria_set"] = _with_procedure_name(data["criteria_set"], data["procedure"])
    for section, (model, _key, _label) in SECTIONS.items():
        parts = [f for f in of(model) if f.get("criteria_set") == [slug, version]]
        # sorted() is stable: equal orders keep the file's order, as loaddata's ids would.
        parts.sort(key=lambda f: f.get("order", 0))
        data[section] = [_fixture_fields(model, f) for f in parts]
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


def _questions_of_format_2(data: dict[str, Any]) -> dict[str, Any]:
    """A format 2 file's questions in format 3: ``derived_by_app`` (the app filled a number
    question so marked with the age) becomes ``filled_from``, as migration 0007 did for
    stored sets, so the set screens as it did."""
    questions = data.get("questions")
    if not isinstance(questions, list):
        return data
    converted = []
    for record in questions:
        if isinstance(record, dict) and "derived_by_app" in record:
            record = dict(record)
            derived = record.pop("derived_by_app")
            if derived is True and record.get("type") in ("int", "decimal"):
                record.setdefault("filled_from", "age")
            elif derived not in (True, False):
                record["derived_by_app"] = derived  # reported as an unknown field
        converted.append(record)
    return {**data, "questions": converted}


def parse_criteria_data(data: Any) -> ParsedCriteria:
    """Check a criteria file's data; raise CriteriaFileInvalid listing every problem."""
    if not isinstance(data, dict):
        raise CriteriaFileInvalid(["the file must hold one JSON object (a criteria set)"])
    errors: list[str] = []
    if data.get("format") != FORMAT:
        errors.append(f"format: expected {FORMAT!r}, got {data.get('format')!r}")
    if data.get("format_version") not in READABLE_FORMAT_VERSIONS:
        readable = " or ".join(str(v) for v in READABLE_FORMAT_VERSIONS)
        errors.append(f"format_version: expected {readable}, got {data.get('format_version')!r}")
    elif data["format_version"] == 2:
        data = _questions_of_format_2(data)
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
        set_record = _with_procedure_name(set_record, procedure)
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
            name = row_key(item, key)
            if name in seen:
                errors.append(f"{section}[{index}]: {label} {name} is listed twice")
            seen.add(name)
            built.append(item)
        items[section] = built
    if errors:
        raise CriteriaFileInvalid(errors)

    spec = adapters.spec_from_rows(
        procedure_slug=procedure["slug"],
        version=0,
        criteria_set=criteria_set,
        questions=items["questions"],
        parameters=items["parameters"],
        derived=items["derived_values"],
        rules=items["rules"],
        coding=items["coding_table"],
        diagnoses=items["diagnosis_codes"],
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
        old_rows = {row_key(row, key): row for row in before.get(section, [])}
        new_rows = {row_key(row, key): row for row in after.get(section, [])}
        for name, row in new_rows.items():
            if name not in old_rows:
                lines.append(f"{label} {name} added")
                continue
            for field, value in row.items():
                if old_rows[name].get(field) != value:
                    old = old_rows[name].get(field)
                    if field == "expected_outcome":  # a golden case's: as a person reads it
                        old, value = outcome_text(old), outcome_text(value)
                    lines.append(f"{label} {name}: {field} {_show(old)} -> {_show(value)}")
        lines.extend(f"{label} {name} removed" for name in old_rows if name not in new_rows)
    return lines
