"""Helpers shared by the front-desk tests: answers as a browser posts them, users, intakes."""

from __future__ import annotations

import datetime
from typing import Any

from django.test import Client

from intake.models import Intake
from tests.criteria_data import example

AS_OF = datetime.date(2025, 3, 14)


def form_value(value: Any) -> str:
    """A JSON answer as the browser sends it: radios post true/false, blanks post nothing."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def form_data(answers: dict[str, Any], *, version: int, action: str = "save", **extra) -> dict:
    """A POST of the intake form with these answers (age_years is never posted: not asked)."""
    data = {code: form_value(v) for code, v in answers.items() if code != "age_years"}
    data.update({"_version": str(version), "_action": action})
    data.update(extra)
    return data


def example_answers(name: str) -> dict[str, Any]:
    answers = dict(example(name)["answers"])
    answers.pop("age_years", None)
    return answers


def born_aged(age: int, on: datetime.date) -> datetime.date:
    """A date of birth giving exactly ``age`` years on ``on`` (born on New Year's Day)."""
    return datetime.date(on.year - age, 1, 1)


def intake_url(intake: Intake, suffix: str = "") -> str:
    return f"/intakes/{intake.pk}/{suffix}"


def logged_in(client: Client, user) -> Client:
    client.force_login(user)
    return client
