"""Every shared example, typed into the form, gets the outcome `manage.py screen` gives it."""

from __future__ import annotations

import datetime
import io
import json

import pytest
import time_machine
from django.core.management import call_command

from intake.models import Intake, Sex
from tests.criteria_data import EXAMPLES_DIR, examples
from tests.factories import FrontDeskFactory, PatientFactory
from tests.intake.frontdesk_helpers import born_aged, form_data, intake_url

pytestmark = pytest.mark.django_db


def command_result(name: str) -> dict:
    out = io.StringIO()
    call_command("screen", str(EXAMPLES_DIR / name), stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(("name", "case"), examples(), ids=[name for name, _ in examples()])
def test_example_through_the_form_matches_manage_py_screen(client, default_set, name, case):
    as_of = datetime.date.fromisoformat(case["as_of"])
    answers = dict(case["answers"])
    # The examples give no sex: a patient whose sex is not recorded (it fills no answer).
    patient = PatientFactory(
        date_of_birth=born_aged(answers.pop("age_years"), as_of), sex=Sex.UNKNOWN
    )
    client.force_login(FrontDeskFactory())
    with time_machine.travel(
        datetime.datetime.combine(as_of, datetime.time(12), tzinfo=datetime.UTC), tick=False
    ):
        started = client.post(
            "/intakes/start/", {"patient": patient.pk, "procedure": default_set.procedure.pk}
        )
        intake = Intake.objects.get(patient=patient)
        assert started["Location"] == intake_url(intake)
        submitted = client.post(intake_url(intake), form_data(answers, version=1, action="submit"))
    assert submitted.status_code == 302, submitted.content.decode()[:500]

    expected = command_result(name)
    screening = Intake.objects.get(pk=intake.pk).latest_screening
    assert screening.outcome == expected["outcome"] == case["expect"]
    assert screening.emergency == expected["emergency"]
    assert screening.missing == expected["missing"]
    assert screening.suggested_codes == expected["suggested_codes"]
    assert [(r["code"], r["holds"], r["needs"]) for r in screening.rule_results] == [
        (r["code"], r["holds"], r["needs"]) for r in expected["rules"]
    ]
    assert screening.as_of == as_of
    assert screening.answers == case["answers"]  # the age, filled from the date of birth
