"""``manage.py seed_benchmark``: a clinic's mix of synthetic intakes, each screened by the
engine under the published set, the same for the same seed and date."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from benchmarks.seeding import intakes_seed
from intake.models import Decision, Intake, IntakeStatus, Patient, Screening
from intake.rescreen.impact import screen_row
from intake.rescreen.selectors import IntakeRow
from screener import adapters
from screener.models import CriteriaSet

AS_OF = datetime.date(2025, 3, 14)


def seed(intakes: int = 200, seed: int = 7) -> str:
    out = io.StringIO()
    call_command(
        "seed_benchmark",
        intakes=intakes,
        seed=seed,
        as_of=AS_OF.isoformat(),
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def snapshot(prefix: str) -> list[tuple]:
    rows = Intake.objects.filter(patient__mrn__startswith=prefix).order_by(
        "patient__mrn", "created_at", "id"
    )
    return [
        (mrn.removeprefix(prefix), *rest)
        for mrn, *rest in rows.values_list(
            "patient__mrn",
            "patient__last_name",
            "patient__date_of_birth",
            "status",
            "answers",
            "outcome",
            "created_at",
            "submitted_at",
            "latest_screening__kind",
            "latest_screening__as_of",
            "latest_screening__rule_results",
            "current_decision__kind",
            "current_decision__signed_at",
            "current_decision__planned_procedure_date",
        )
    ]


def test_seeds_200_intakes_in_every_status_and_prints_the_counts(default_set):
    """200 intakes for about 100 patients, some with several; every status; counts printed."""
    printed = seed()
    statuses = {s: Intake.objects.filter(status=s).count() for s in IntakeStatus.values}
    assert sum(statuses.values()) == 200
    assert all(count > 0 for count in statuses.values()), statuses
    assert Patient.objects.count() == 100
    assert Patient.objects.filter(intakes__isnull=False).distinct().count() == 100
    assert max(p.intakes.count() for p in Patient.objects.all()) >= 3
    for status, count in statuses.items():
        assert f"{status:<25} {count:>9,}" in printed
    assert "200 intakes" in printed and " s\n" in printed


def test_every_submitted_intake_carries_the_engines_outcome_for_its_answers(default_set):
    """Each non-draft intake's latest screening is what the engine gives for its answers, on
    its screening date; drafts have no screening."""
    seed()
    compiled = adapters.compiled_criteria(default_set)
    fills = adapters.app_filled_questions(default_set)
    screened = Intake.objects.exclude(status=IntakeStatus.DRAFT).select_related(
        "patient", "latest_screening"
    )
    assert screened.count() > 100
    for intake in screened:
        latest = intake.latest_screening
        assert latest is not None and latest.intake_id == intake.pk
        row = IntakeRow(
            intake.pk,
            intake.answers,
            intake.patient.date_of_birth,
            intake.patient.sex,
            latest.as_of,
            None,
            "",
            1,
        )
        result, _answers, _invalid = screen_row(compiled, row, fills)
        assert (intake.outcome, latest.outcome) == (str(result.outcome), str(result.outcome))
        assert latest.as_of <= AS_OF
    assert not Screening.objects.filter(intake__status=IntakeStatus.DRAFT).exists()


def test_every_screening_stores_what_the_app_stores_for_its_answers(default_set):
    """Each screening, the first of an edited case included, holds exactly what the app stores
    for a screening of its answers on its date (``adapters.stored_result``), its kind, reason,
    set and clerk: on PostgreSQL the seeding writes them as COPY text, never as the app's
    dicts, and this holds the two equal."""
    seed()
    compiled = adapters.compiled_criteria(default_set)
    fills = adapters.app_filled_questions(default_set)
    screenings = Screening.objects.select_related("intake__patient", "created_by")
    assert screenings.filter(kind="edit").exists()
    for screening in screenings:
        patient = screening.intake.patient
        row = IntakeRow(
            0, screening.answers, patient.date_of_birth, patient.sex, screening.as_of, None, "", 1
        )
        result, answers, _invalid = screen_row(compiled, row, fills)
        stored = adapters.stored_result(result)
        assert {name: getattr(screening, name) for name in stored} == stored, screening.pk
        assert screening.answers == answers
        assert screening.criteria_set_id == default_set.pk
        assert screening.created_by.username == "seed-frontdesk"
        assert timezone.localtime(screening.created_at).date() == screening.as_of
        edited = screening.kind == "edit"
        assert (screening.reason != "") is edited
        assert screening.intake.latest_screening_id == screening.pk or not edited


def test_the_mix_has_every_outcome_decisions_and_re_screened_cases(default_set):
    """Every outcome the default set gives from the generated answers appears; decided cases
    have a physician, a reason and (some proceed) a planned weekday; some have two screenings."""
    seed(400)
    outcomes = set(Intake.objects.exclude(outcome="").values_list("outcome", flat=True))
    assert outcomes >= {
        "urgent",
        "contraindicated",
        "needs_info",
        "conservative",
        "candidate_with_cautions",
    }
    decided = Intake.objects.filter(status=IntakeStatus.DECIDED).select_related(
        "current_decision__physician"
    )
    kinds = {i.current_decision.kind for i in decided}
    assert len(kinds) >= 3, kinds
    assert all(i.current_decision.physician and i.current_decision.reason for i in decided)
    planned = Decision.objects.exclude(planned_procedure_date=None)
    assert planned.exists()
    assert all(d.planned_procedure_date.weekday() < 5 for d in planned)
    info = Intake.objects.filter(status=IntakeStatus.INFO_REQUESTED)
    assert info.exists()
    assert all(i.current_decision.kind == "request_info" for i in info)
    twice = [i for i in Intake.objects.all() if i.screenings.count() == 2]
    assert twice and all(i.latest_screening.kind == "edit" for i in twice)


def test_the_same_seed_and_date_give_the_same_data(default_set):
    """Seeding twice with the same seed and date writes the same rows (MRN prefixes aside);
    another seed writes other data, and the command refuses to repeat a seed."""
    for prefix in ("A-", "B-"):
        intakes_seed(criteria_set=default_set, intakes=200, seed=7, as_of=AS_OF, mrn_prefix=prefix)
    assert snapshot("A-") == snapshot("B-")
    assert len(snapshot("A-")) == 200
    seed(seed=8)
    assert snapshot("S8-") != snapshot("A-")
    with pytest.raises(CommandError, match="already has patients seeded with --seed 8"):
        seed(seed=8)


def test_refuses_without_a_published_criteria_set(db, settings):
    """Without a published set for the default procedure the command says how to load one
    and writes nothing."""
    settings.DEFAULT_CRITERIA_FIXTURES = ["kyphoplasty"]
    assert not CriteriaSet.objects.filter(procedure__slug="kyphoplasty").exists()
    with pytest.raises(CommandError, match=r"manage.py setup_demo.*loaddata kyphoplasty"):
        seed()
    assert not Intake.objects.exists() and not Patient.objects.exists()
