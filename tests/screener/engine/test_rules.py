"""Every rule of the default set, holding and failing, with thresholds at and beside their edges."""

from __future__ import annotations

import pytest

from tests.criteria_data import default_spec
from tests.screener.engine.cases import holds, run

IN, OW, OS = "inpatient", "outpatient_worsening", "outpatient_stable"

# (rule, base case, overrides, expected holds). None as a value leaves the answer blank.
RULE_TABLE = [
    # red flags
    ("rf_cauda_equina", IN, {"cauda_equina_signs": True}, True),
    ("rf_cauda_equina", IN, {"cauda_equina_signs": False}, False),
    ("rf_cauda_equina", IN, {"cauda_equina_signs": None}, False),
    ("rf_progressive_deficit", IN, {"progressive_weakness": True}, True),
    ("rf_progressive_deficit", IN, {}, False),
    ("rf_cord_compression", IN, {"cord_compression": True}, True),
    ("rf_cord_compression", IN, {}, False),
    ("rf_infection", IN, {"infection_signs": True}, True),
    ("rf_infection", IN, {}, False),
    ("rf_undiagnosed_malignancy", IN, {"malignancy": "suspected"}, True),
    ("rf_undiagnosed_malignancy", IN, {"malignant_features": True}, True),
    (
        "rf_undiagnosed_malignancy",
        IN,
        {"cancer_history": True, "unexplained_weight_loss": True},
        True,
    ),
    ("rf_undiagnosed_malignancy", IN, {"malignancy": None, "malignant_features": True}, True),
    (
        "rf_undiagnosed_malignancy",
        IN,
        {"malignancy": "diagnosed", "malignant_features": True},
        False,
    ),
    ("rf_undiagnosed_malignancy", IN, {"cancer_history": True}, False),
    ("rf_undiagnosed_malignancy", IN, {"unexplained_weight_loss": True}, False),
    ("rf_high_energy_trauma", IN, {"injury_mechanism": "high_energy", "osteoporosis": False}, True),
    ("rf_high_energy_trauma", IN, {"injury_mechanism": "high_energy", "osteoporosis": None}, True),
    ("rf_high_energy_trauma", IN, {"injury_mechanism": "high_energy"}, False),
    ("rf_high_energy_trauma", IN, {"osteoporosis": False}, False),
    ("rf_minor", IN, {"age_years": 17}, True),
    ("rf_minor", IN, {"age_years": 18}, False),
    ("rf_minor", IN, {"age_years": None}, False),
    # contraindications
    ("ci_active_infection", IN, {"active_infection": True}, True),
    ("ci_active_infection", IN, {}, False),
    ("ci_pregnancy", IN, {"age_years": 40, "pregnant": True}, True),
    ("ci_pregnancy", IN, {"age_years": 40, "pregnant": False}, False),
    ("ci_cement_allergy", IN, {"cement_allergy": True}, True),
    ("ci_cement_allergy", IN, {}, False),
    ("ci_uncorrectable_coagulopathy", IN, {"uncorrectable_coagulopathy": True}, True),
    ("ci_uncorrectable_coagulopathy", IN, {}, False),
    ("ci_pain_not_from_fracture", IN, {"pain_at_fracture_level": "no"}, True),
    ("ci_pain_not_from_fracture", IN, {"pain_at_fracture_level": "unknown"}, False),
    ("ci_pain_not_from_fracture", IN, {"pain_at_fracture_level": "yes"}, False),
    ("ci_asymptomatic", IN, {"pain_nrs": 0}, True),
    ("ci_asymptomatic", IN, {"pain_nrs": 1}, False),
    ("ci_asymptomatic", IN, {"pain_nrs": None}, False),
    # information needed
    (
        "ni_no_imaging",
        IN,
        {"xray_done": False, "mri_done": False, "ct_done": False, "bone_scan_done": False},
        True,
    ),
    ("ni_no_imaging", IN, {"xray_done": None, "mri_done": None}, True),
    ("ni_no_imaging", IN, {"xray_done": True, "mri_done": False}, False),
    ("ni_no_advanced_imaging", IN, {"mri_done": False}, True),
    ("ni_no_advanced_imaging", OW, {"mri_done": False, "pain_nrs": 5}, True),
    ("ni_no_advanced_imaging", OW, {"mri_done": False, "pain_nrs": 4}, False),
    ("ni_no_advanced_imaging", IN, {"mri_done": False, "bone_scan_done": True}, False),
    ("ni_no_advanced_imaging", IN, {"mri_done": False, "fracture_confirmed": False}, False),
    ("ni_edema_indeterminate", IN, {"edema_or_uptake": "indeterminate"}, True),
    ("ni_edema_indeterminate", IN, {"edema_or_uptake": "no"}, False),
    ("ni_edema_indeterminate", IN, {"edema_or_uptake": None}, False),
    ("ni_trauma_needs_ct", IN, {"injury_mechanism": "high_energy"}, True),
    ("ni_trauma_needs_ct", IN, {"injury_mechanism": "high_energy", "ct_done": True}, False),
    ("ni_trauma_needs_ct", IN, {"ct_done": False}, False),
    # onset 2025-02-28: an MRI from the day before cannot show this fracture unhealed
    ("ni_imaging_predates_onset", IN, {"advanced_imaging_date": "2025-02-27"}, True),
    ("ni_imaging_predates_onset", IN, {"advanced_imaging_date": "2025-02-28"}, False),
    ("ni_imaging_predates_onset", IN, {"advanced_imaging_date": "2025-03-10"}, False),
    ("ni_imaging_predates_onset", IN, {"advanced_imaging_date": None}, False),  # blank: no order
    (
        "ni_imaging_predates_onset",
        IN,
        {"advanced_imaging_date": "2025-01-10", "symptom_onset_date": None},
        False,
    ),
    # prerequisites (they hold in the base case)
    ("pre_fracture_confirmed", IN, {}, True),
    ("pre_fracture_confirmed", IN, {"fracture_confirmed": False}, False),
    ("pre_fracture_confirmed", IN, {"fracture_confirmed": None}, False),
    ("pre_level_in_range", IN, {"fracture_level": "T1"}, True),
    ("pre_level_in_range", IN, {"fracture_level": "L5"}, True),
    ("pre_level_in_range", IN, {"fracture_level": "cervical"}, False),
    ("pre_level_in_range", IN, {"fracture_level": "sacral"}, False),
    ("pre_level_in_range", IN, {"fracture_level": None}, True),  # a blank choice is in no list
    ("pre_unhealed", IN, {}, True),
    ("pre_unhealed", IN, {"edema_or_uptake": "no"}, False),
    ("pre_unhealed", IN, {"edema_or_uptake": "indeterminate"}, False),
    ("pre_unhealed", IN, {"edema_or_uptake": None}, False),
    ("pre_fracture_age", IN, {"symptom_onset_date": "2024-12-20"}, True),  # 84 days: 12.0 weeks
    ("pre_fracture_age", IN, {"symptom_onset_date": "2024-12-19"}, False),  # 85 days
    ("pre_fracture_age", IN, {"symptom_onset_date": "2025-03-14"}, True),  # same day: 0 weeks
    ("pre_fracture_age", IN, {"symptom_onset_date": None}, False),
    (
        "pre_fracture_age",
        IN,
        {"symptom_onset_date": "2023-01-01", "malignancy": "diagnosed"},
        True,
    ),
    ("pre_fracture_age", IN, {"symptom_onset_date": None, "malignancy": "diagnosed"}, True),
    # pathways
    ("pw_inpatient", IN, {"pain_nrs": 8}, True),
    ("pw_inpatient", IN, {"pain_nrs": 7}, False),
    ("pw_inpatient", IN, {"pain_nrs": None}, False),
    ("pw_inpatient", IN, {"hospitalized": False}, False),
    ("pw_outpatient_worsening", OW, {}, True),
    ("pw_outpatient_worsening", OW, {"pain_nrs": 5}, True),
    ("pw_outpatient_worsening", OW, {"pain_nrs": 4}, False),
    ("pw_outpatient_worsening", OW, {"tried_analgesics": False}, False),
    ("pw_outpatient_worsening", OW, {"tried_analgesics": False, "tried_brace": True}, True),
    (
        "pw_outpatient_worsening",
        OW,
        {"tried_analgesics": False, "tried_physical_therapy": True},
        True,
    ),
    ("pw_outpatient_worsening", OW, {"conservative_weeks": 0}, True),  # min_conservative_weeks 0
    ("pw_outpatient_worsening", OW, {"conservative_weeks": None}, False),
    ("pw_outpatient_worsening", OW, {"pain_trend": "stable"}, False),
    ("pw_outpatient_worsening", OW, {"hospitalized": True}, False),
    ("pw_outpatient_findings", OS, {}, True),  # 30 % and RDQ 19: two findings
    ("pw_outpatient_findings", OS, {"pain_trend": "improving"}, True),
    ("pw_outpatient_findings", OS, {"rdq_score": 17}, False),  # RDQ must be above 17
    ("pw_outpatient_findings", OS, {"rdq_score": 18}, True),
    ("pw_outpatient_findings", OS, {"height_loss_percent": 25}, False),  # above 25 only
    ("pw_outpatient_findings", OS, {"height_loss_percent": 26}, True),
    (
        "pw_outpatient_findings",
        OS,
        {"height_loss_percent": 10, "height_loss_progressing": True},
        True,
    ),
    ("pw_outpatient_findings", OS, {"rdq_score": 5, "kyphotic_deformity": True}, True),
    ("pw_outpatient_findings", OS, {"rdq_score": None}, False),
    ("pw_outpatient_findings", OS, {"pain_trend": "worsening"}, False),
    ("pw_outpatient_findings", OS, {"pain_nrs": 4}, False),
    ("pw_neoplastic", IN, {"malignancy": "diagnosed", "pain_nrs": 5}, True),
    ("pw_neoplastic", IN, {"malignancy": "diagnosed", "pain_nrs": 4}, False),
    ("pw_neoplastic", OW, {"malignancy": "diagnosed"}, True),
    ("pw_neoplastic", OW, {"malignancy": "diagnosed", "tried_analgesics": False}, False),
    ("pw_neoplastic", IN, {}, False),
    # cautions
    ("ca_anticoagulant", IN, {"anticoagulant": True}, True),
    ("ca_anticoagulant", IN, {}, False),
    ("ca_antiplatelet", IN, {"antiplatelet": True}, True),
    ("ca_antiplatelet", IN, {}, False),
    ("ca_inr_high", IN, {"inr": 1.6}, True),
    ("ca_inr_high", IN, {"inr": 1.5}, False),
    ("ca_inr_high", IN, {"inr": None}, False),
    ("ca_platelets_low", IN, {"platelets": 49}, True),
    ("ca_platelets_low", IN, {"platelets": 50}, False),
    ("ca_platelets_low", IN, {"platelets": None}, False),
    ("ca_many_levels", IN, {"levels_count": 4}, True),
    ("ca_many_levels", IN, {"levels_count": 3}, False),
    ("ca_retropulsion", IN, {"retropulsion": True}, True),
    ("ca_retropulsion", IN, {}, False),
    ("ca_posterior_wall", IN, {"posterior_wall_disrupted": True}, True),
    ("ca_posterior_wall", IN, {}, False),
    ("ca_vertebra_plana", IN, {"height_loss_percent": 70}, True),
    ("ca_vertebra_plana", IN, {"height_loss_percent": 69}, False),
    ("ca_vertebra_plana", IN, {"height_loss_percent": None}, False),
    ("ca_upper_thoracic", IN, {"fracture_level": "T4"}, True),
    ("ca_upper_thoracic", IN, {"fracture_level": "T1"}, True),
    ("ca_upper_thoracic", IN, {"fracture_level": "T5"}, False),
    ("ca_contrast_allergy", IN, {"contrast_allergy": True}, True),
    ("ca_contrast_allergy", IN, {}, False),
    ("ca_radicular", IN, {"leg_numbness_tingling": True}, True),
    ("ca_radicular", IN, {}, False),
    ("ca_improving", OS, {"pain_trend": "improving"}, True),
    ("ca_improving", OS, {}, False),
    ("ca_early_care", OW, {"conservative_weeks": 2}, True),
    ("ca_early_care", OW, {"conservative_weeks": 3}, False),  # the edge: 3 weeks is enough
    ("ca_early_care", OW, {"conservative_weeks": None}, False),  # blank: not documented
    ("ca_early_care", OW, {"conservative_weeks": 0, "non_ambulatory": True}, False),
    ("ca_early_care", OW, {"conservative_weeks": 0, "analgesic_side_effects": True}, False),
    ("ca_early_care", IN, {"conservative_weeks": 0}, False),  # inpatients are not affected
    ("ca_neoplastic", IN, {"malignancy": "diagnosed"}, True),
    ("ca_neoplastic", IN, {"malignancy": "suspected"}, False),
    ("ca_high_energy_osteoporotic", IN, {"injury_mechanism": "high_energy"}, True),
    (
        "ca_high_energy_osteoporotic",
        IN,
        {"injury_mechanism": "high_energy", "osteoporosis": False},
        False,
    ),
    ("ca_infection_risk", IN, {"infection_risk": True}, True),
    ("ca_infection_risk", IN, {}, False),
    ("ca_cancer_history", IN, {"cancer_history": True}, True),
    ("ca_cancer_history", IN, {"cancer_history": True, "malignancy": "suspected"}, False),
    ("ca_cancer_history", IN, {"cancer_history": True, "malignancy": None}, False),
    ("ca_possible_pathological", IN, {"unexplained_weight_loss": True}, True),
    (
        "ca_possible_pathological",
        IN,
        {"unexplained_weight_loss": True, "cancer_history": True},
        False,
    ),
    (
        "ca_possible_pathological",
        IN,
        {"unexplained_weight_loss": True, "malignancy": "diagnosed"},
        False,
    ),
    ("ca_sedation_risk", IN, {"sedation_or_prone_concern": True}, True),
    ("ca_sedation_risk", IN, {}, False),
    ("ca_prior_treatment", IN, {"prior_treatment_same_level": True}, True),
    ("ca_prior_treatment", IN, {}, False),
    # documentation to-dos
    ("td_bmd_referral", IN, {"bmd_referral_done": False}, True),
    ("td_bmd_referral", IN, {"bmd_referral_done": None}, True),
    ("td_bmd_referral", IN, {}, False),
    ("td_bone_density", IN, {"bone_density_done": False, "osteoporosis": False}, True),
    ("td_bone_density", IN, {"bone_density_done": False}, False),
    ("td_bone_density", IN, {"osteoporosis": False}, False),
    ("td_osteoporosis_treatment", IN, {"osteoporosis_treatment": None}, True),
    ("td_osteoporosis_treatment", IN, {}, False),
]


@pytest.mark.parametrize(
    ("rule", "base", "overrides", "expected"),
    RULE_TABLE,
    ids=[f"{row[0]}-{i}-{'holds' if row[3] else 'fails'}" for i, row in enumerate(RULE_TABLE)],
)
def test_rule_holds_or_fails(rule, base, overrides, expected):
    """Each rule holds exactly when its condition does, with blank answers as not documented."""
    assert holds(run(base, **overrides), rule) is expected


def test_table_covers_every_rule_both_ways():
    """Every rule of the default set is shown both holding and failing."""
    codes = {r.code for r in default_spec().rules}
    holding = {row[0] for row in RULE_TABLE if row[3]}
    failing = {row[0] for row in RULE_TABLE if not row[3]}
    assert holding == codes
    assert failing == codes


def test_the_engines_fast_rule_result_is_the_same_frozen_object():
    import dataclasses

    from screener.engine.types import Effect, RuleResult, rule_result

    fields = ("rf_x", Effect.CONTRAINDICATION, True, ("a",), "message", "source", True, (("a", 1),))
    fast = rule_result(*fields)
    assert fast == RuleResult(*fields)
    assert hash(fast) == hash(RuleResult(*fields))
    assert fast.as_dict() == RuleResult(*fields).as_dict()
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.holds = False
