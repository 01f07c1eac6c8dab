"""``manage.py export_fhir questionnaire --procedure SLUG [--criteria-version N]`` and
``manage.py export_fhir response INTAKE_ID``: FHIR R4 JSON on standard output.

- ``questionnaire``: a criteria set as a Questionnaire (``intake.fhir.questionnaire``); without
  ``--criteria-version``, the newest published version. Each ``required_when`` condition that
  ``enableWhen`` cannot express is listed on standard error (it is in the resource as the
  ``required-when`` extension).
- ``response``: an intake's answers as a QuestionnaireResponse with the Patient contained and
  each answer's source and who entered it when. A read of a patient's record: audited (export,
  username ``manage.py export_fhir``).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from intake.fhir.exports import intake_for_export, response_export
from intake.fhir.questionnaire import questionnaire_export
from intake.models import AuditAction
from intake.services.audit import audit_record
from screener import selectors

AUDIT_USERNAME = "manage.py export_fhir"


class Command(BaseCommand):
    help = "Write a criteria set as a FHIR Questionnaire, or an intake as a QuestionnaireResponse."

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = parser.add_subparsers(dest="kind", required=True)
        questionnaire = kinds.add_parser("questionnaire", help="a criteria set as a Questionnaire")
        questionnaire.add_argument("--procedure", required=True, help="procedure slug")
        questionnaire.add_argument(
            "--criteria-version",
            type=int,
            help="the version to export (default: the newest published one)",
        )
        response = kinds.add_parser(
            "response", help="an intake's answers as a QuestionnaireResponse"
        )
        response.add_argument("intake_id", type=int, help="the intake's id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["kind"] == "questionnaire":
            resource = self._questionnaire(options["procedure"], options["criteria_version"])
        else:
            resource = self._response(options["intake_id"])
        self.stdout.write(json.dumps(resource, indent=2, ensure_ascii=False))

    def _questionnaire(self, slug: str, version: int | None) -> dict:
        procedure = selectors.procedure_by_slug(slug)
        if procedure is None:
            raise CommandError(f"No procedure with the slug '{slug}'.")
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
        export = questionnaire_export(criteria_set)
        for missing in export.not_expressed:
            self.stderr.write(str(missing))
        return export.resource

    def _response(self, intake_id: int) -> dict:
        intake = intake_for_export(intake_id=intake_id)
        if intake is None:
            raise CommandError(f"No intake with the id {intake_id}.")
        resource = response_export(intake)
        audit_record(
            action=AuditAction.EXPORT,
            username=AUDIT_USERNAME,
            patient=intake.patient_id,
            obj=intake,
            part="fhir:QuestionnaireResponse",
        )
        return resource
