"""Golden cases: the default set ships them, they travel with the set, publish refuses failures."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command

from screener.golden import golden_cases_run
from screener.models import (
    CriteriaChange,
    CriteriaSetStatus,
    GoldenCase,
    ImmutableCriteriaError,
    Rule,
)
from screener.services import PublishRefused, criteria_set_clone, criteria_set_publish
from tests.criteria_data import examples
from tests.screener.helpers import set_parameter

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)


def test_default_set_ships_every_example_with_its_answers_date_and_outcome(default_set):
    cases = {case.name: case for case in default_set.goldencase_set.all()}
    for file_name, example in examples():
        case = cases[file_name.removesuffix(".json")]
        assert case.answers == example["answers"]
        assert case.as_of.isoformat() == example["as_of"]
        assert case.expected_outcome == example["expect"]


def test_default_set_has_a_case_where_each_rule_holds(default_set):
    codes = set(default_set.rule_set.values_list("code", flat=True))
    expected = {code for case in default_set.goldencase_set.all() for code in case.expected_holding}
    assert len(codes) == 49
    assert expected == codes


def test_every_golden_case_of_the_default_set_passes(default_set):
    results = golden_cases_run(default_set)
    assert len(results) == 60
    assert [r.case.name for r in results if not r.passed] == []
    assert {r.outcome for r in results} == {
        "urgent",
        "contraindicated",
        "needs_info",
        "conservative",
        "candidate",
        "candidate_with_cautions",
    }


def test_raising_the_outpatient_threshold_fails_exactly_the_warfarin_example(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    set_parameter(draft, "nrs_outpatient_min", 7)
    failed = [r for r in golden_cases_run(draft) if not r.passed]
    assert [(r.case.name, r.differences) for r in failed] == [
        (
            "ex-stable-two-findings-on-warfarin",
            (
                "outcome: expected Appears to meet criteria, cautions to review "
                "(candidate_with_cautions), got Conservative care suggested (conservative)",
            ),
        )
    ]


def test_missing_and_holding_expectations_are_checked_and_reported(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    case = draft.goldencase_set.get(name="ex-pain-score-missing")
    assert case.expected_missing == ["pain_nrs"]
    case.expected_missing = []
    case.expected_holding = ["ca_anticoagulant", "no_such_rule"]
    case.save()
    [result] = golden_cases_run(draft, [case])
    assert result.differences == (
        "missing: expected nothing, got pain_nrs",
        "rule “Takes an anticoagulant. Plan its management with the prescriber, as this is a "
        "high-bleeding-risk procedure; a mechanical valve, a coronary stent in the last 12 "
        "months or a clot in the last 3 months needs a cardiology or haematology plan.” "
        "(ca_anticoagulant): expected to hold, but does not",
        "rule no_such_rule: expected to hold, but the set has no such rule",
    )


def test_a_case_with_an_answer_the_set_refuses_fails_naming_the_answer(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    case = draft.goldencase_set.get(name="rule-pw_inpatient")
    case.answers = {**case.answers, "pain_nrs": 11}
    case.save()
    [result] = golden_cases_run(draft, [case])
    assert result.outcome is None
    assert result.differences == ("answers.pain_nrs: 11 is above the maximum 10",)


def test_publish_refuses_a_failing_golden_case_then_publishes_once_fixed(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    set_parameter(draft, "nrs_outpatient_min", 7)
    with pytest.raises(PublishRefused) as refused:
        criteria_set_publish(criteria_set=draft, now=NOW)
    assert refused.value.messages == [
        "Golden case ex-stable-two-findings-on-warfarin: outcome: expected Appears to meet "
        "criteria, cautions to review (candidate_with_cautions), got Conservative care "
        "suggested (conservative)"
    ]
    draft.refresh_from_db()
    assert draft.status == CriteriaSetStatus.DRAFT

    case = draft.goldencase_set.get(name="ex-stable-two-findings-on-warfarin")
    case.expected_outcome = "conservative"
    case.save()
    assert criteria_set_publish(criteria_set=draft, now=NOW).status == CriteriaSetStatus.PUBLISHED


def test_publish_reports_expression_errors_before_golden_cases(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    Rule.objects.filter(criteria_set=draft, code="rf_minor").update(condition="age < 18")
    with pytest.raises(PublishRefused) as refused:
        criteria_set_publish(criteria_set=draft)
    assert refused.value.messages[0].startswith("Rule rf_minor: unknown name 'age'")
    [result] = golden_cases_run(draft, draft.goldencase_set.filter(name="rule-rf_minor"))
    assert result.differences == ("not run: the set has 1 expression error(s)",)


def test_clone_copies_the_golden_cases(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    copied = list(draft.goldencase_set.values_list("name", "answers", "expected_outcome"))
    assert copied == list(
        default_set.goldencase_set.values_list("name", "answers", "expected_outcome")
    )


def test_golden_cases_of_a_published_set_cannot_change(default_set):
    case = default_set.goldencase_set.get(name="ex-fever")
    case.expected_outcome = "candidate"
    with pytest.raises(ImmutableCriteriaError, match="vertebroplasty v1 is published"):
        case.save()
    with pytest.raises(ImmutableCriteriaError):
        GoldenCase.objects.filter(pk=case.pk).update(expected_outcome="candidate")
    with pytest.raises(ImmutableCriteriaError):
        case.delete()
    with pytest.raises(ImmutableCriteriaError):
        GoldenCase.objects.bulk_create(
            [
                GoldenCase(
                    criteria_set=default_set,
                    name="extra",
                    as_of=datetime.date(2025, 1, 1),
                    expected_outcome="urgent",
                )
            ]
        )
    assert GoldenCase.objects.get(pk=case.pk).expected_outcome == "urgent"


def test_loaddata_cannot_change_a_golden_case_of_a_published_set(default_set, tmp_path):
    import json

    from tests.criteria_data import FIXTURE

    records = [
        r
        for r in json.loads(FIXTURE.read_text())
        if r["model"] == "screener.goldencase" and r["fields"]["name"] == "ex-fever"
    ]
    records[0]["fields"]["expected_outcome"] = "candidate"
    path = tmp_path / "golden.json"
    path.write_text(json.dumps(records))
    with pytest.raises(Exception, match="published"):
        call_command("loaddata", str(path), verbosity=0)
    assert default_set.goldencase_set.get(name="ex-fever").expected_outcome == "urgent"


def test_publish_clone_and_retire_are_recorded_with_who(default_set):
    from screener.services import criteria_set_retire
    from tests.factories import CriteriaAdminFactory

    admin = CriteriaAdminFactory()
    draft = criteria_set_clone(criteria_set=default_set, user=admin)
    criteria_set_publish(criteria_set=draft, user=admin, now=NOW)
    criteria_set_retire(criteria_set=default_set, user=admin, now=NOW)
    assert list(
        CriteriaChange.objects.order_by("id").values_list("set_label", "action", "user")
    ) == [
        ("vertebroplasty v2", "cloned", admin.pk),
        ("vertebroplasty v2", "published", admin.pk),
        ("vertebroplasty v1", "retired", admin.pk),
    ]
