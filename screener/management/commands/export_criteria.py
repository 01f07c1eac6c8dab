"""``manage.py export_criteria SLUG [--criteria-version N] > set.json``: a set as JSON.

Without ``--criteria-version`` the newest published version is written. The file is what
``import_criteria`` reads back as a new draft (a round trip gives an identical set).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from screener import selectors
from screener.transfer import criteria_set_data


class Command(BaseCommand):
    help = "Write a criteria set (questions, parameters, rules, content, golden cases) as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("procedure", help="procedure slug")
        parser.add_argument(
            "--criteria-version",
            type=int,
            help="the version to export (default: the newest published one)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        procedure = selectors.procedure_by_slug(options["procedure"])
        if procedure is None:
            raise CommandError(f"No procedure with the slug '{options['procedure']}'.")
        version = options["criteria_version"]
        if version is None:
            criteria_set = selectors.newest_published_set(procedure)
            if criteria_set is None:
                raise CommandError(
                    f"{procedure.slug} has no published version; name one with --criteria-version."
                )
        else:
            criteria_set = selectors.criteria_set_by_version(procedure, version)
            if criteria_set is None:
                raise CommandError(f"{procedure.slug} has no version {version}.")
        self.stdout.write(json.dumps(criteria_set_data(criteria_set), indent=2, ensure_ascii=False))
