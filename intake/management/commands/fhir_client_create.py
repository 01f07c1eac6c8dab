"""``manage.py fhir_client_create NAME --scope SCOPE [--scope SCOPE ...]``: a client system of
the FHIR API, and its token, printed once (only its SHA-256 is kept).

Scopes: ``questionnaire:read``, ``response:read``, ``response:create``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from intake.fhir.clients import fhir_client_create
from intake.models import FhirScope


class Command(BaseCommand):
    help = "Create a FHIR API client and print its bearer token (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the client system's name (unique)")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            choices=FhirScope.values,
            help="what it may do (repeat for several)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            client, token = fhir_client_create(name=options["name"], scopes=options["scope"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"FHIR client {client.name} created ({', '.join(client.scopes)}).")
        self.stdout.write("Its token, shown only now (store it in the client system):")
        self.stdout.write(token)
