"""Outcome precedence, missing answers, conditional requirements, needs and suggested codes."""

from __future__ import annotations

import datetime
import math

import pytest

from screener import engine
from tests.criteria_data import default_compiled, default_spec, example, examples
from tests.screener.engine.cases import effect_codes, holding_codes, run

C, CWC, NI = "candidate", "candidate_with_cautions", "needs_info"


@pytest.mark.parametrize(("name", "case"), examples(), ids=[name for name, _ in examples()])
def test_examples_get_their_expected_outcome(name, case):
    """The shared example cases, screened by the engine alone."""
    as_of = datetime.date.fromisoformat(case["as_of"])
    answers = engine.parse_answers(default_spec(), case["answers"], as_of)
    assert engine.screen(default_compiled(), answers, as_of).outcome == case["expect"]


PRECEDENCE = [
    # (base, overrides, outcome, emergency)
    ("inpatient", {}, C, False),
    ("inpatient", {"cauda_equina_signs": True}, "urgent", True),
    ("inpatient", {"infection_signs": True}, "urgent", False),
    ("inpatient", {"infection_signs": True, "cauda_equina_signs": True}, "urgent", True),
    ("inpatient", {"infection_signs": True, "cement_allergy": True}, "urgent", False),
    ("inpatient", {"age_years": 17, "pain_nrs": None}, "urgent", False),
    ("inpatient", {"cement_allergy": True}, "contraindicated", False),
    ("inpatient", {"cement_allergy": True, "pain_nrs": None}, "contraindicated", False),
    (
        "inpatient",
        {"active_infection": True, "edema_or_uptake": "indeterminate"},
        "contraindicated",
        False,
    ),
    ("inpatient", {"pain_nrs": None}, NI, False),
    ("inpatient", {"edema_or_uptake": "indeterminate"}, NI, False),
    ("inpatient", {"edema_or_uptake": "indeterminate", "anticoagulant": True}, NI, False),
    ("inpatient", {"mri_done": False, "edema_or_uptake": None}, NI, False),
    ("inpatient", {"anticoagulant": True}, CWC, False),
    ("inpatient", {"bmd_referral_done": False, "osteoporosis_treatment": None}, C, False),
    ("inpatient", {"pain_nrs": 7}, "conservative", False),
    ("inpatient", {"edema_or_uptake": "no"}, "conservative", False),
    ("inpatient", {"edema_or_uptake": "no", "anticoagulant": True}, "conservative", False),
    ("inpatient", {"fracture_level": "sacral"}, "conservative", False),
    ("outpatient_worsening", {}, C, False),
    ("outpatient_stable", {}, C, False),
    ("outpatient_stable", {"pain_trend": "improving"}, CWC, False),
    ("outpatient_stable", {"rdq_score": 10}, "conservative", False),
]


@pytest.mark.parametrize(("base", "overrides", "outcome", "emergency"), PRECEDENCE)
def test_outcome_precedence(base, overrides, outcome, emergency):
    """urgent > contraindicated > needs_info > candidate(s) > conservative; todos never count."""
    result = run(base, **overrides)
    assert (result.outcome, result.emergency) == (outcome, emergency)


def test_every_rule_is_evaluated_even_after_a_red_flag():
    """The outcome never short-circuits: all rules are reported, in set order."""
    result = run(cauda_equina_signs=True, cement_allergy=True, anticoagulant=True)
    assert [r.code for r in result.rules] == [r.code for r in default_spec().rules]
    assert holding_codes(result)[:2] == ["rf_cauda_equina", "ci_cement_allergy"]
    assert "ca_anticoagulant" in holding_codes(result)


def test_conservative_lists_failed_prerequisites_and_pathways():
    """A conservative result carries which prerequisites failed and which pathways did not hold."""
    result = run(edema_or_uptake="no", pain_nrs=7)
    failed = effect_codes(result, engine.Effect.PREREQUISITE, holds=False)
    not_held = effect_codes(result, engine.Effect.PATHWAY, holds=False)
    assert result.outcome == "conservative"
    assert failed == ["pre_unhealed"]
    assert not_held == [
        "pw_inpatient",
        "pw_outpatient_worsening",
        "pw_outpatient_findings",
        "pw_neoplastic",
    ]


def test_blank_hospitalized_requires_the_outpatient_questions_too():
    """The criteria file's example: `not hospitalized` is true when it is blank."""
    result = run(hospitalized=None)
    assert result.outcome == NI
    assert result.missing == (
        "hospitalized",
        "pain_trend",
        "conservative_weeks",
        "tried_analgesics",
        "tried_brace",
        "tried_physical_therapy",
    )


def test_missing_is_in_checklist_order():
    result = run(cement_allergy=None, hospitalized=None, pain_nrs=None, xray_done=None)
    assert result.missing[:4] == ("hospitalized", "xray_done", "pain_nrs", "pain_trend")
    assert result.missing[-1] == "cement_allergy"


def test_unknown_counts_as_blank_and_is_missing():
    result = run(pain_at_fracture_level="unknown")
    assert result.missing == ("pain_at_fracture_level",)
    assert result.outcome == NI


CONDITIONAL = [
    # (base, overrides, question, required)
    ("inpatient", {"age_years": 54}, "pregnant", True),
    ("inpatient", {"age_years": 55}, "pregnant", False),
    ("inpatient", {"age_years": None}, "pregnant", False),  # NaN < 55 is false
    ("inpatient", {"fracture_level": None}, "fracture_level", True),
    ("inpatient", {"fracture_level": None, "fracture_confirmed": False}, "fracture_level", False),
    ("inpatient", {"levels_count": None}, "levels_count", True),
    ("inpatient", {"levels_count": None, "fracture_confirmed": False}, "levels_count", False),
    ("inpatient", {"edema_or_uptake": None}, "edema_or_uptake", True),
    ("inpatient", {"edema_or_uptake": None, "mri_done": False}, "edema_or_uptake", False),
    (
        "inpatient",
        {"edema_or_uptake": None, "mri_done": False, "bone_scan_done": True},
        "edema_or_uptake",
        True,
    ),
    ("inpatient", {"retropulsion": None}, "retropulsion", True),
    ("inpatient", {"retropulsion": None, "mri_done": False}, "retropulsion", False),
    ("inpatient", {"retropulsion": None, "mri_done": False, "ct_done": True}, "retropulsion", True),
    ("inpatient", {"cord_compression": None}, "cord_compression", True),
    ("inpatient", {"pain_trend": None}, "pain_trend", False),
    ("outpatient_worsening", {"pain_trend": None}, "pain_trend", True),
    ("outpatient_worsening", {"tried_brace": None}, "tried_brace", True),
    ("outpatient_stable", {"rdq_score": None}, "rdq_score", True),
    ("outpatient_stable", {"height_loss_percent": None}, "height_loss_percent", True),
    ("outpatient_stable", {"kyphotic_deformity": None}, "kyphotic_deformity", True),
    ("outpatient_stable", {"rdq_score": None, "pain_nrs": 4}, "rdq_score", False),
    ("outpatient_stable", {"rdq_score": None, "malignancy": "diagnosed"}, "rdq_score", False),
    ("outpatient_worsening", {"rdq_score": None}, "rdq_score", False),
    ("inpatient", {"rdq_score": None}, "rdq_score", False),
    ("inpatient", {"inr": None}, "inr", False),
]


@pytest.mark.parametrize(("base", "overrides", "question", "required"), CONDITIONAL)
def test_conditional_requirements(base, overrides, question, required):
    """A question required only when its condition holds is missing only then."""
    assert (question in run(base, **overrides).missing) is required


def test_answers_to_questions_not_required_still_count():
    """The engine uses every answer given, required at the moment or not."""
    result = run("inpatient", pain_trend="improving")  # inpatients are not asked the trend
    assert "ca_improving" in holding_codes(result)
    assert result.outcome == CWC


def test_needs_names_missing_questions_directly_and_through_derived_values():
    result = run("outpatient_stable", rdq_score=None, tried_brace=None)
    needs = {r.code: r.needs for r in result.rules}
    assert needs["pw_outpatient_findings"] == ("rdq_score", "tried_brace")  # checklist order
    assert needs["pw_outpatient_worsening"] == ("tried_brace",)
    assert needs["pw_inpatient"] == ()
    assert result.outcome == NI


def test_weeks_since_onset_needs_the_onset_date():
    result = run(symptom_onset_date=None)
    needs = {r.code: r.needs for r in result.rules}
    assert needs["pre_fracture_age"] == ("symptom_onset_date",)
    assert math.isnan(result.derived["weeks_since_onset"])


def test_weeks_since_onset_is_counted_from_the_screening_date():
    assert run(symptom_onset_date="2025-02-28").derived["weeks_since_onset"] == 2.0
    later = run(symptom_onset_date="2025-02-28", as_of=datetime.date(2025, 6, 1))
    assert later.derived["weeks_since_onset"] == 93 / 7
    assert later.outcome == "conservative"


CODES = [
    ({"fracture_level": "L1", "levels_count": 1}, ["22511"]),
    ({"fracture_level": "T10", "levels_count": 3}, ["22510", "+22512", "+22512"]),
    ({"fracture_level": "L2", "levels_count": 5}, ["22511", "+22512", "+22512"]),
    ({"fracture_level": "T12", "levels_count": 2}, ["22510", "+22512"]),
    ({"fracture_level": "L5", "levels_count": 2}, ["22511", "+22512"]),
    ({"fracture_level": "T5", "levels_count": 4}, ["22510", "+22512", "+22512"]),
]


@pytest.mark.parametrize(("overrides", "codes"), CODES)
def test_suggested_codes_for_candidates(overrides, codes):
    result = run(**overrides)
    assert result.outcome in (C, CWC)
    assert list(result.suggested_codes) == codes


@pytest.mark.parametrize(
    "overrides",
    [{"pain_nrs": 7}, {"cement_allergy": True}, {"pain_nrs": None}, {"infection_signs": True}],
)
def test_no_codes_unless_a_candidate(overrides):
    assert run(**overrides).suggested_codes == ()


def test_as_dict_has_the_contract_keys_in_order():
    data = run().as_dict()
    assert list(data) == [
        "outcome",
        "emergency",
        "criteria_set",
        "missing",
        "rules",
        "suggested_codes",
    ]
    assert data["criteria_set"] == {"procedure": "vertebroplasty", "version": 1}
    # The contract's keys first and in order; "values" is the one addition.
    assert list(data["rules"][0]) == [
        "code",
        "effect",
        "holds",
        "needs",
        "message",
        "source",
        "values",
    ]


def test_required_lists_questions_required_now_answered_or_not():
    """What the form marks as required: the same conditions as `missing`, answered or not."""
    inpatient = run("inpatient", age_years=40, pregnant=False)
    outpatient = run("outpatient_stable")
    assert "pregnant" in inpatient.required  # under 55, answered
    assert "pain_trend" not in inpatient.required  # inpatients are not asked the trend
    assert {"pain_trend", "rdq_score", "height_loss_percent"} <= set(outpatient.required)
    assert "inr" not in outpatient.required  # optional
    assert outpatient.missing == ()
    assert set(run("inpatient", hospitalized=None).missing) <= set(
        run("inpatient", hospitalized=None).required
    )


# --------------------------------------------------------------------------------------------
# Every rule reports the values it read


def rule_values(result: engine.ScreeningResult, code: str) -> dict:
    return next(rule.as_dict()["values"] for rule in result.rules if rule.code == code)


def test_a_pathway_not_met_reports_the_pain_and_the_threshold_it_compared():
    """'pain 4 is below the outpatient minimum of 5' comes from the values the rule read."""
    result = run(example("ex-outpatient-mild-pain.json")["answers"])
    assert result.outcome == engine.Outcome.CONSERVATIVE
    assert rule_values(result, "pw_outpatient_worsening") == {
        "hospitalized": False,
        "pain_nrs": 4,
        "nrs_outpatient_min": 5,
        "nsm_documented": True,
        "pain_trend": "worsening",
    }


def test_a_caution_reports_the_inr_and_its_limit():
    result = run(example("ex-stable-two-findings-on-warfarin.json")["answers"])
    assert rule_values(result, "ca_inr_high") == {"inr": 3.5, "inr_max": 1.5}


def test_blank_answers_read_as_null_and_dates_as_iso_text():
    result = run("inpatient", pain_nrs=None, advanced_imaging_date=None)
    assert rule_values(result, "pw_inpatient") == {
        "hospitalized": True,
        "pain_nrs": None,
        "nrs_inpatient_min": 8,
    }
    assert rule_values(result, "ni_imaging_predates_onset") == {
        "advanced_imaging_date": None,
        "symptom_onset_date": "2025-02-28",
    }
    # a derived value built into the engine: 14 days before the screening date
    assert rule_values(result, "pre_fracture_age")["weeks_since_onset"] == 2.0


def test_every_rule_of_the_set_reports_exactly_the_names_its_condition_uses():
    """Generic, from the parsed expression: no rule needs hand-written explanation text."""
    from screener.engine.expressions import names_in_order, parse_expression

    result = run("outpatient_stable")
    spec = default_spec()
    for rule_spec, rule in zip(spec.rules, result.rules, strict=True):
        assert tuple(rule.as_dict()["values"]) == names_in_order(
            parse_expression(rule_spec.condition)
        ), rule.code


def test_an_outpatient_meeting_a_pathway_after_under_three_weeks_of_care_gets_a_caution():
    """Revision 2: fewer than early_care_weeks of non-surgical care is a caution, not a bar."""
    early = run("outpatient_worsening", conservative_weeks=2)
    assert early.outcome == engine.Outcome.CANDIDATE_WITH_CAUTIONS
    assert effect_codes(early, engine.Effect.CAUTION, holds=True) == ["ca_early_care"]
    assert run("outpatient_worsening", conservative_weeks=3).outcome == engine.Outcome.CANDIDATE
    assert run("inpatient", conservative_weeks=0).outcome == engine.Outcome.CANDIDATE
