"""``manage.py import_criteria set.json``: a criteria file as a new draft.

``manage.py import_criteria --default SLUG`` does the same with the default criteria shipped in
``fixtures/SLUG.json``: how an existing install takes a new default revision (a fresh install
loads it with ``loaddata`` and needs none of this).

The draft takes the procedure's next version number, whatever version the file came from, so
an import never changes an existing (let alone a published) set. A malformed or invalid file is
refused with every reason found, and nothing is written. Every refusal exits with status 2.

A file import always makes a new draft: the file is the admin's own material. The default
criteria are fixed content, so ``--default`` imports nothing (and says so, status 0) when a
draft, or the published set in force, already holds exactly that content: running it twice,
or on a fresh install, leaves one copy, not a pile of identical drafts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from screener.models import CriteriaSet
from screener.services import criteria_set_import
from screener.transfer import (
    CriteriaFileInvalid,
    DefaultCriteriaUnavailable,
    criteria_set_holding,
    default_criteria_data,
    default_fixture_path,
)

BAD_INPUT_STATUS = 2


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _refused(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_INPUT_STATUS)


class Command(BaseCommand):
    help = (
        "Import a criteria set file (from export_criteria), or with --default the shipped "
        "default criteria of a procedure, as a new draft."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="the JSON file; - for standard input")
        parser.add_argument(
            "--default",
            metavar="SLUG",
            help="import the default criteria shipped in fixtures/SLUG.json instead of a file",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name, slug = options["file"], options["default"]
        if name is not None and slug is not None:
            raise _refused("Give a criteria file or --default SLUG, not both.")
        if slug is not None:
            self._import_default(slug)
            return
        if name is None:
            raise _refused("Give a criteria file (- for standard input) or --default SLUG.")
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise _refused(f"Cannot read {name}: {exc}") from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise _refused(
                f"{name} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}). "
                "Nothing was imported."
            ) from None
        except ValueError as exc:
            raise _refused(f"{name} is not valid JSON: {exc}. Nothing was imported.") from None
        self._import(data, name)

    def _import_default(self, slug: str) -> None:
        try:
            path = default_fixture_path(slug)
            data = default_criteria_data(slug)
        except DefaultCriteriaUnavailable as exc:
            raise _refused(str(exc)) from None
        source = f"the default criteria {path}"
        holding = criteria_set_holding(data)
        if holding is None:
            self._import(data, source)
        elif holding.is_draft:
            self.stdout.write(
                self.style.WARNING(
                    f"Nothing imported: draft {holding} already holds {source}. Run its golden "
                    "cases and impact preview, then publish it, in Django admin."
                )
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"Nothing imported: {holding}, the published set in force, already holds "
                    f"{source}."
                )
            )

    def _import(self, data: Any, source: str) -> CriteriaSet:
        try:
            draft = criteria_set_import(data=data)
        except CriteriaFileInvalid as exc:
            lines = "\n".join(f"  - {error}" for error in exc.errors)
            raise _refused(
                f"{source} cannot be imported ({len(exc.errors)} problem(s)); nothing was "
                f"imported:\n{lines}"
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {source} as draft {draft} ({draft.question_set.count()} questions, "
                f"{draft.rule_set.count()} rules, {draft.goldencase_set.count()} golden cases)."
            )
        )
        return draft
