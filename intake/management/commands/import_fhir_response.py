"""``manage.py import_fhir_response FILE --patient MRN [--user USERNAME]``: a draft intake
prefilled from a FHIR QuestionnaireResponse (for example one completed in a patient portal).

The draft is started under the newest published version of the procedure the response's
``questionnaire`` names. Any error (malformed JSON, not a QuestionnaireResponse, another
clinic's Questionnaire, an unknown item, a wrong answer type, a value out of range or not a
choice, another patient) is printed naming the item, the exit status is 1, and nothing is
created. The import is audited (create, username ``manage.py import_fhir_response``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from intake.fhir.imports import FhirImportError, intake_import_fhir_response, parse_resource
from intake.models import AuditAction
from intake.selectors.patients import patient_by_mrn
from intake.services.audit import audit_record

AUDIT_USERNAME = "manage.py import_fhir_response"


class Command(BaseCommand):
    help = "Create a draft intake prefilled from a FHIR QuestionnaireResponse (JSON file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the QuestionnaireResponse as JSON ('-': stdin)")
        parser.add_argument("--patient", required=True, help="the patient's MRN")
        parser.add_argument("--user", help="the staff member importing (username), if any")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["file"] == "-":
                text = sys.stdin.buffer.read()
            else:
                text = Path(options["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"{options['file']}: {exc.strerror}") from None
        try:
            resource = parse_resource(text)
        except FhirImportError as exc:
            raise CommandError(str(exc)) from None
        patient = patient_by_mrn(mrn=options["patient"])
        if patient is None:
            raise CommandError("--patient: no patient has that MRN.")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError("--user: no such user.")
        try:
            with transaction.atomic():  # the draft and its audit row, or neither
                intake = intake_import_fhir_response(
                    resource=resource, patient=patient, user=user, as_of=timezone.localdate()
                )
                audit_record(
                    action=AuditAction.CREATE,
                    user=user,
                    username=AUDIT_USERNAME,
                    patient=patient,
                    obj=intake,
                    part="fhir:QuestionnaireResponse",
                    detail=f"imported {len(intake.answers)} answers",
                )
        except FhirImportError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Draft intake {intake.pk} created with {len(intake.answers)} answers.")
