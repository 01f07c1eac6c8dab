"""The re-screen's fast path (intake/rescreen/bulk.py) stores exactly what a screening stores."""

from __future__ import annotations

import datetime
import json
import os
import random
import signal
import threading

import pytest
from django.db import connection

from benchmarks.synthetic_answers import random_answers
from intake.models import Intake, Screening, ScreeningKind
from intake.rescreen import bulk
from intake.rescreen.impact import screen_row
from intake.rescreen.selectors import IntakeRow
from intake.rescreen.services import intakes_rescreen
from screener import adapters
from tests.intake.rescreen import test_rescreen
from tests.intake.rescreen.test_rescreen import publish_threshold_7

pytestmark = pytest.mark.django_db

intakes = test_rescreen.intakes  # the fixture: three open intakes and a decided one

AS_OF = datetime.date(2025, 3, 14)


def generated_rows(default_set, count: int) -> list[IntakeRow]:
    """Varied answers, many blanks (blank derived values are NaN), dates among the values."""
    rng = random.Random(20251207)
    spec = adapters.compiled_criteria(default_set).spec
    return [
        IntakeRow(
            intake_id=n,
            answers=random_answers(spec, rng, AS_OF, blank=0.2, red_flag=0.05),
            date_of_birth=datetime.date(1940 + n % 40, 1 + n % 12, 1 + n % 28),
            sex="female" if n % 2 else "male",
            as_of=AS_OF,
            screening_id=None,
            outcome="",
            version=1,
        )
        for n in range(1, count + 1)
    ]


def copy_value(text: str) -> str:
    """A COPY text-format value back to its text (the escapes ``bulk`` writes)."""
    return (
        text.replace("\\\\", "\x00")
        .replace("\\t", "\t")
        .replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("\x00", "\\")
    )


def test_copy_fields_parse_to_what_a_screening_stores(default_set):
    """Over 400 generated cases the COPY text holds the values ``stored_result`` gives."""
    compiled = adapters.compiled_criteria(default_set)
    fills = adapters.app_filled_questions(default_set)
    values_seen = set()
    for row in generated_rows(default_set, 400):
        result, screened, _invalid = screen_row(compiled, row, fills)
        stored = adapters.stored_result(result)
        fields = [copy_value(f) for f in bulk.screening_copy_fields(result, screened).split("\t")]
        assert dict(zip(bulk.SCREENED_COLUMNS, fields, strict=True)) == {
            "answers": fields[0],
            "outcome": stored["outcome"],
            "emergency": "t" if stored["emergency"] else "f",
            "missing": fields[3],
            "rule_results": fields[4],
            "suggested_codes": fields[5],
            "deciding": fields[6],
            "key_reason": stored["key_reason"],
        }
        assert json.loads(fields[0]) == screened
        assert json.loads(fields[3]) == stored["missing"]
        assert json.loads(fields[4]) == stored["rule_results"]
        assert json.loads(fields[5]) == stored["suggested_codes"]
        assert json.loads(fields[6]) == stored["deciding"]
        for rule in result.rules:
            for _name, value in rule.values:
                values_seen.add("nan" if value != value else type(value).__name__)
    # The cases reach the values that take the slow paths: blank derived values and dates.
    assert {"nan", "date", "bool", "NoneType"} <= values_seen


def test_copy_text_escapes_what_copy_reads_as_syntax():
    assert bulk._copy_text("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"
    assert copy_value(bulk._copy_text("a\\b\tc\nd\re\\n")) == "a\\b\tc\nd\re\\n"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL")
@pytest.mark.parametrize("workers", [1, 2])
def test_rescreen_by_copy_stores_what_bulk_create_stored(
    default_set, intakes, workers, monkeypatch
):
    """On PostgreSQL (COPY, one worker or two) each new screening equals the service's."""
    from intake.services.screenings import screening_record

    monkeypatch.setattr(bulk, "COPY_CHUNK", 1)  # three chunks of one row for two workers
    assert threading.active_count() == 1  # else the pool would not fork (ScreeningPool)
    v2 = publish_threshold_7(default_set)
    report = intakes_rescreen(target=v2, batch_size=3, workers=workers)
    assert report.evaluated == 3
    assert report.changes == [("candidate_with_cautions", "conservative", 1)]
    assert Screening.objects.filter(kind=ScreeningKind.RESCREEN).count() == 3
    fields = ["criteria_set_id", "kind", "as_of", "answers", "outcome", "emergency", "missing"]
    fields += ["rule_results", "suggested_codes", "deciding", "key_reason", "reason"]
    for key in ("submitted", "info_requested", "mild"):
        intake = Intake.objects.get(pk=intakes[key].pk)
        copied = intake.latest_screening
        assert (copied.kind, intake.criteria_set_id, intake.outcome) == (
            ScreeningKind.RESCREEN,
            v2.pk,
            copied.outcome,
        )
        by_service = screening_record(
            intake=intake, as_of=copied.as_of, kind=ScreeningKind.RESCREEN, reason=copied.reason
        )
        assert {f: getattr(copied, f) for f in fields} == {
            f: getattr(by_service, f) for f in fields
        }


def test_command_refuses_fewer_than_one_worker(default_set):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--workers must be at least 1"):
        call_command("rescreen", "--procedure", "vertebroplasty", "--workers", "0")


def test_workers_leave_ctrl_c_to_the_command(default_set):
    """Ctrl-C reaches the whole process group: the workers ignore it, the command stops them."""
    compiled = adapters.compiled_criteria(default_set)
    assert threading.active_count() == 1
    with bulk.ScreeningPool(compiled, adapters.app_filled_questions(default_set), 2) as pool:
        assert pool._pool.submit(signal.getsignal, signal.SIGINT).result() == signal.SIG_IGN
    assert signal.getsignal(signal.SIGINT) != signal.SIG_IGN  # this process is unchanged


def _worker_dies(rows):
    os._exit(1)  # as the OOM killer would end it


@pytest.mark.skipif(connection.vendor != "postgresql", reason="workers run on PostgreSQL only")
def test_a_worker_that_dies_stops_the_run_and_moves_nothing(default_set, intakes, monkeypatch):
    """Not a run that waits forever with its batch's rows locked: an error, the batch undone."""
    from concurrent.futures.process import BrokenProcessPool

    monkeypatch.setattr(bulk, "_worker_screen", _worker_dies)
    v2 = publish_threshold_7(default_set)
    assert threading.active_count() == 1
    with pytest.raises(BrokenProcessPool):
        intakes_rescreen(target=v2, workers=2)
    assert Intake.objects.filter(criteria_set=v2).count() == 0
    assert Screening.objects.filter(kind=ScreeningKind.RESCREEN).count() == 0
