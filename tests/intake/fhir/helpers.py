"""Intakes made for the FHIR tests: answered, submitted at a fixed time."""

from __future__ import annotations

import datetime
import json
from io import StringIO
from typing import Any

import time_machine
from django.core.management import call_command

from intake.models import Intake, Patient
from intake.services import intakes as services
from tests.factories import FrontDeskFactory, IntakeFactory

NOW = datetime.datetime(2025, 3, 14, 15, 30, tzinfo=datetime.UTC)
AS_OF = NOW.date()


def asked_answers(criteria_set: Any, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers without those the app fills from the patient's record (never typed)."""
    filled = set(criteria_set.question_set.exclude(filled_from="").values_list("code", flat=True))
    return {code: value for code, value in answers.items() if code not in filled}


def submitted_intake(
    patient: Patient, answers: dict[str, Any], *, criteria_set: Any = None, user: Any = None
) -> Intake:
    """An intake of the patient submitted with these answers at NOW."""
    extra = (
        {"criteria_set": criteria_set, "procedure": criteria_set.procedure} if criteria_set else {}
    )
    with time_machine.travel(NOW - datetime.timedelta(hours=1), tick=False):
        intake = IntakeFactory(patient=patient, **extra)
    with time_machine.travel(NOW, tick=False):
        services.intake_submit(
            intake_id=intake.pk,
            changes=asked_answers(intake.criteria_set, answers),
            version=intake.version,
            user=user or FrontDeskFactory(),
            as_of=AS_OF,
        )
    return Intake.objects.select_related("patient", "criteria_set__procedure").get(pk=intake.pk)


def export_response(intake_id: int) -> dict[str, Any]:
    out = StringIO()
    call_command("export_fhir", "response", str(intake_id), stdout=out)
    return json.loads(out.getvalue())


def items_by_link_id(resource: dict) -> dict[str, dict]:
    return {item["linkId"]: item for group in resource.get("item", []) for item in group["item"]}
