"""Background-job helpers shared by the stall and worker-fault tests: open intakes on version 1,
version 2 published, and what a re-screen of them must have done."""

from __future__ import annotations

import datetime
from collections import Counter

from django.db.models import Count

from intake.models import Intake, IntakeStatus, Screening, ScreeningKind
from screener.models import CriteriaChange, CriteriaChangeAction, CriteriaSet
from screener.services import criteria_set_clone, criteria_set_publish
from tests.screener.helpers import INPATIENT, MILD, WARFARIN, set_parameter, submitted_intake

PUBLISHED_AT = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)


def publish_threshold_7(default_set: CriteriaSet) -> CriteriaSet:
    """Version 2: outpatient pain minimum 7, so an outpatient at NRS 6 (WARFARIN) becomes
    conservative; MILD (NRS 4) and INPATIENT keep their outcome."""
    draft = criteria_set_clone(criteria_set=default_set)
    set_parameter(draft, "nrs_outpatient_min", 7)
    case = draft.goldencase_set.get(name="ex-stable-two-findings-on-warfarin")
    case.expected_outcome = "conservative"
    case.save()
    return criteria_set_publish(criteria_set=draft, now=PUBLISHED_AT)


def seed_open_intakes(count: int) -> dict[str, list[Intake]]:
    """``count`` open intakes on version 1 (every third WARFARIN, which changes outcome under
    version 2; some with information requested), plus one decided intake never touched."""
    answers = [WARFARIN, MILD, INPATIENT]
    statuses = [IntakeStatus.SUBMITTED, IntakeStatus.SUBMITTED, IntakeStatus.INFO_REQUESTED]
    open_intakes = [
        submitted_intake(answers[i % 3], status=statuses[(i // 3) % 3]) for i in range(count)
    ]
    decided = submitted_intake(WARFARIN, status=IntakeStatus.DECIDED)
    return {"open": open_intakes, "decided": [decided]}


def warfarin_count(count: int) -> int:
    return len(range(0, count, 3))


def rescreens_per_intake() -> Counter[int]:
    """Re-screen screenings per intake."""
    return Counter(
        dict(
            Screening.objects.filter(kind=ScreeningKind.RESCREEN)
            .values_list("intake_id")
            .annotate(n=Count("id"))
        )
    )


def assert_rescreened_exactly_once(seeded: dict[str, list[Intake]], target: CriteriaSet) -> None:
    """Every open intake moved to ``target`` with exactly one re-screen; the decided one not."""
    open_ids = {intake.pk for intake in seeded["open"]}
    assert rescreens_per_intake() == Counter(dict.fromkeys(open_ids, 1))
    assert set(Intake.objects.filter(criteria_set=target).values_list("pk", flat=True)) == open_ids
    decided = Intake.objects.get(pk=seeded["decided"][0].pk)
    assert (decided.criteria_set.version, decided.screenings.count()) == (1, 1)


def rescreen_log(target: CriteriaSet) -> list[str]:
    return list(
        CriteriaChange.objects.filter(
            criteria_set=target, action=CriteriaChangeAction.RESCREENED
        ).values_list("summary", flat=True)
    )
