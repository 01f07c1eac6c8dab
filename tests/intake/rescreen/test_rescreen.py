"""Re-screening open intakes under a newly published version."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from intake.models import Intake, IntakeStatus, Screening, ScreeningKind
from intake.rescreen import services as rescreen_module
from intake.rescreen.services import intakes_rescreen
from intake.services.screenings import screening_record
from screener.models import CriteriaChange
from screener.services import criteria_set_clone, criteria_set_publish
from tests.screener.helpers import INPATIENT, MILD, WARFARIN, set_parameter, submitted_intake

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2025, 3, 14)
NOW = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)


def publish_threshold_7(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    set_parameter(draft, "nrs_outpatient_min", 7)
    case = draft.goldencase_set.get(name="ex-stable-two-findings-on-warfarin")
    case.expected_outcome = "conservative"
    case.save()
    return criteria_set_publish(criteria_set=draft, now=NOW)


@pytest.fixture
def intakes(default_set):
    return {
        "submitted": submitted_intake(WARFARIN, as_of=datetime.date(2025, 3, 10)),
        "info_requested": submitted_intake(INPATIENT, status=IntakeStatus.INFO_REQUESTED),
        "mild": submitted_intake(MILD),
        "decided": submitted_intake(WARFARIN, status=IntakeStatus.DECIDED),
    }


def state(intake: Intake) -> tuple:
    intake.refresh_from_db()
    return (intake.criteria_set.version, intake.outcome, intake.screenings.count())


def test_open_intakes_move_to_the_new_version_with_a_rescreen(default_set, intakes):
    v2 = publish_threshold_7(default_set)
    report = intakes_rescreen(target=v2)
    assert report.evaluated == 3
    assert report.changes == [("candidate_with_cautions", "conservative", 1)]

    submitted = intakes["submitted"]
    assert state(submitted) == (2, "conservative", 2)
    latest = submitted.latest_screening
    assert (latest.kind, latest.criteria_set_id, latest.as_of) == (
        ScreeningKind.RESCREEN,
        v2.pk,
        datetime.date(2025, 3, 10),  # its original screening date, not today
    )
    assert latest.reason == (
        "Criteria changed: re-screened under vertebroplasty v2 (was v1), with the original "
        "screening date."
    )
    assert state(intakes["info_requested"]) == (2, "candidate", 2)
    assert state(intakes["mild"]) == (2, "conservative", 2)
    assert intakes["submitted"].status == IntakeStatus.SUBMITTED  # status is not changed


def test_decided_and_draft_intakes_are_never_touched(default_set, intakes):
    from tests.factories import IntakeFactory

    draft = IntakeFactory(answers=dict(WARFARIN))
    v2 = publish_threshold_7(default_set)
    intakes_rescreen(target=v2)
    assert state(intakes["decided"]) == (1, "candidate_with_cautions", 1)
    draft.refresh_from_db()
    assert (draft.criteria_set_id, draft.screenings.count()) == (default_set.pk, 0)


def test_rescreen_stores_what_screening_record_would(default_set, intakes):
    v2 = publish_threshold_7(default_set)
    intakes_rescreen(target=v2)
    moved = intakes["submitted"]
    moved.refresh_from_db()
    by_service = screening_record(
        intake=moved, as_of=datetime.date(2025, 3, 10), kind=ScreeningKind.RESCREEN
    )
    fields = ["criteria_set_id", "as_of", "answers", "outcome", "emergency", "missing"]
    fields += ["rule_results", "suggested_codes"]
    bulk = moved.screenings.filter(kind=ScreeningKind.RESCREEN).first()
    assert {f: getattr(bulk, f) for f in fields} == {f: getattr(by_service, f) for f in fields}


def test_running_twice_does_nothing_the_second_time(default_set, intakes):
    v2 = publish_threshold_7(default_set)
    intakes_rescreen(target=v2)
    screenings = Screening.objects.count()
    again = intakes_rescreen(target=v2)
    assert (again.evaluated, again.changes) == (0, [])
    assert Screening.objects.count() == screenings
    assert CriteriaChange.objects.filter(action="rescreened").count() == 1


def test_a_stop_half_way_leaves_each_intake_rescreened_or_untouched(
    default_set, intakes, monkeypatch
):
    v2 = publish_threshold_7(default_set)
    real = rescreen_module._rescreen_batch
    calls = []

    def stop_on_second_batch(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            kwargs["tally"].add = None  # the batch dies part-way, inside its transaction
        return real(**kwargs)

    monkeypatch.setattr(rescreen_module, "_rescreen_batch", stop_on_second_batch)
    with pytest.raises(TypeError):
        intakes_rescreen(target=v2, batch_size=2)
    open_ids = sorted(intakes[k].pk for k in ("submitted", "info_requested", "mild"))
    moved = {pk: state(Intake.objects.get(pk=pk)) for pk in open_ids}
    assert [moved[pk][0] for pk in open_ids] == [2, 2, 1]
    assert moved[open_ids[2]][2] == 1  # untouched: no screening was added
    monkeypatch.setattr(rescreen_module, "_rescreen_batch", real)
    resumed = intakes_rescreen(target=v2)
    assert resumed.evaluated == 1
    assert state(Intake.objects.get(pk=open_ids[2]))[0] == 2


def test_dry_run_writes_nothing_and_reports_the_same_table(default_set, intakes):
    v2 = publish_threshold_7(default_set)
    screenings = Screening.objects.count()
    dry = intakes_rescreen(target=v2, dry_run=True)
    assert Screening.objects.count() == screenings
    assert Intake.objects.filter(criteria_set=v2).count() == 0
    real = intakes_rescreen(target=v2)
    assert dry == real


def test_the_passing_of_time_changes_nothing(default_set):
    """Re-screened long after, a two-week-old fracture is still judged on its original date."""
    intake = submitted_intake(INPATIENT)
    draft = criteria_set_clone(criteria_set=default_set)
    v2 = criteria_set_publish(criteria_set=draft, now=NOW)
    with time_machine.travel(datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC), tick=False):
        report = intakes_rescreen(target=v2)
    assert report.changes == []
    assert state(intake) == (2, "candidate", 2)


def test_command_dry_run_prints_the_table_and_a_progress_bar(default_set, intakes):
    publish_threshold_7(default_set)
    out, err = io.StringIO(), io.StringIO()
    call_command("rescreen", "--procedure", "vertebroplasty", "--dry-run", stdout=out, stderr=err)
    text = out.getvalue()
    assert text.startswith("Dry run: nothing was written. Re-screening under vertebroplasty v2:")
    assert "candidate_with_cautions  conservative                    1" in text
    assert "pw_outpatient_findings: holds -> does not hold" in text
    assert err.getvalue().endswith(
        "[##############################] 100% 3/3 intakes, 1 outcome changes\n"
    )
    assert Intake.objects.filter(criteria_set__version=2).count() == 0


def test_command_rescreens_then_finds_nothing_to_do(default_set, intakes):
    publish_threshold_7(default_set)
    out = io.StringIO()
    call_command("rescreen", "--procedure", "vertebroplasty", stdout=out, stderr=io.StringIO())
    assert out.getvalue().startswith("Re-screened and moved to vertebroplasty v2:")
    assert Intake.objects.filter(criteria_set__version=2).count() == 3
    out = io.StringIO()
    call_command("rescreen", "--procedure", "vertebroplasty", stdout=out, stderr=io.StringIO())
    assert out.getvalue() == (
        "Nothing to do: no open intake is pinned to a version before vertebroplasty v2.\n"
    )


def test_command_names_an_unknown_procedure(default_set):
    with pytest.raises(CommandError, match="No procedure with the slug 'knee'"):
        call_command("rescreen", "--procedure", "knee", stderr=io.StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_batches_lock_their_intakes_on_postgresql(default_set, intakes):
    """The batch read locks the intake rows only (FOR UPDATE OF), past the outer joins."""
    from django.test.utils import CaptureQueriesContext

    v2 = publish_threshold_7(default_set)
    with CaptureQueriesContext(connection) as queries:
        intakes_rescreen(target=v2)
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locking) == 1
    assert locking[0].endswith('FOR UPDATE OF "intake_intake"')


def test_intakes_moved_by_another_run_meanwhile_are_skipped(default_set, intakes, monkeypatch):
    """Ids are read first; a run that moved them in the meantime leaves nothing to redo."""
    v2 = publish_threshold_7(default_set)
    real = rescreen_module._rescreen_batch
    other_run = []

    def other_run_first(**kwargs):
        if not other_run:
            monkeypatch.setattr(rescreen_module, "_rescreen_batch", real)
            other_run.append(intakes_rescreen(target=v2))
        return real(**kwargs)

    monkeypatch.setattr(rescreen_module, "_rescreen_batch", other_run_first)
    late = intakes_rescreen(target=v2)
    assert (other_run[0].evaluated, late.evaluated) == (3, 0)
    for key in ("submitted", "info_requested", "mild"):
        kinds = list(intakes[key].screenings.values_list("kind", flat=True))
        assert kinds == ["submission", "rescreen"]


def test_a_form_opened_before_the_rescreen_is_stale(default_set, intakes):
    """The intake moved to new criteria: a front-desk save from before is refused, not mixed in."""
    from intake.services.intakes import StaleIntake, intake_edit
    from tests.factories import FrontDeskFactory

    submitted = intakes["submitted"]
    submitted.refresh_from_db()
    opened_at = submitted.version
    intakes_rescreen(target=publish_threshold_7(default_set))
    submitted.refresh_from_db()
    assert submitted.version == opened_at + 1
    with pytest.raises(StaleIntake):
        intake_edit(
            intake_id=submitted.pk,
            changes={"pain_nrs": 8},
            version=opened_at,
            reason="MRI report added",
            user=FrontDeskFactory(),
            as_of=AS_OF,
        )
    assert submitted.screenings.count() == 2
