"""``manage.py import_criteria set.json``: a criteria file as a new draft.

The draft takes the procedure's next version number, whatever version the file came from, so
an import never changes an existing (let alone a published) set. A malformed or invalid file is
refused with every reason found, and nothing is written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from screener.services import criteria_set_import
from screener.transfer import CriteriaFileInvalid


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class Command(BaseCommand):
    help = "Import a criteria set file (from export_criteria) as a new draft."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the JSON file; - for standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["file"]
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {name}: {exc}") from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{name} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}). "
                "Nothing was imported."
            ) from None
        except ValueError as exc:
            raise CommandError(f"{name} is not valid JSON: {exc}. Nothing was imported.") from None
        try:
            draft = criteria_set_import(data=data)
        except CriteriaFileInvalid as exc:
            lines = "\n".join(f"  - {error}" for error in exc.errors)
            raise CommandError(
                f"{name} cannot be imported ({len(exc.errors)} problem(s)); nothing was "
                f"imported:\n{lines}"
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {name} as draft {draft} ({draft.question_set.count()} questions, "
                f"{draft.rule_set.count()} rules, {draft.goldencase_set.count()} golden cases)."
            )
        )
