"""The pure diff of two screenings: answers changed, rules flipped, criteria version changed."""

from __future__ import annotations

from intake.history import RuleFlip, Snapshot, diff_screenings, rule_flips


def rule(code, holds, effect="caution", message=None):
    return {"code": code, "effect": effect, "holds": holds, "message": message or f"{code} msg"}


def snap(answers=None, rules=(), version=1, outcome="candidate", emergency=False):
    return Snapshot(
        answers=answers or {},
        rules=list(rules),
        criteria_version=version,
        outcome=outcome,
        emergency=emergency,
    )


def test_identical_screenings_have_no_changes():
    before = snap({"pain_nrs": 7}, [rule("ca_a", False)])
    diff = diff_screenings(before, snap({"pain_nrs": 7}, [rule("ca_a", False)]))
    assert not diff.changed
    assert (diff.answers, diff.rules, diff.criteria_version, diff.outcome) == ((), (), None, None)


def test_answers_changed_answered_and_cleared_in_checklist_order():
    before = snap({"pain_nrs": 4, "hospitalized": False, "inr": 1.2})
    after = snap({"pain_nrs": 8, "hospitalized": False, "platelets": 40})
    diff = diff_screenings(before, after, question_order=["platelets", "pain_nrs", "inr"])
    assert [(c.code, c.before_text, c.after_text) for c in diff.answers] == [
        ("platelets", "not answered", "40"),
        ("pain_nrs", "4", "8"),
        ("inr", "1.2", "not answered"),
    ]


def test_booleans_read_yes_and_no():
    diff = diff_screenings(snap({"cement_allergy": False}), snap({"cement_allergy": True}))
    assert [(c.before_text, c.after_text) for c in diff.answers] == [("No", "Yes")]


def test_choices_read_as_the_form_labels_them_and_dates_as_stored():
    """A choice's code is shown as its label on the form, never with an underscore."""
    before = snap({"injury_mechanism": "high_energy", "pain_trend": "stable", "level": "L1"})
    after = snap({"injury_mechanism": "minor", "pain_trend": None, "level": "2025-02-07"})
    diff = diff_screenings(before, after)
    assert [(c.before_text, c.after_text) for c in diff.answers] == [
        ("High energy", "Minor"),
        ("L1", "2025-02-07"),
        ("Stable", "not answered"),
    ]


def test_rules_that_flipped_both_ways_and_only_those():
    before = snap(rules=[rule("ca_a", True), rule("ca_b", False), rule("ca_c", True)])
    after = snap(rules=[rule("ca_a", False), rule("ca_b", True), rule("ca_c", True)])
    diff = diff_screenings(before, after)
    assert [(f.code, f.held_before, f.holds_now, f.change_text) for f in diff.rules] == [
        ("ca_a", True, False, "no longer holds"),
        ("ca_b", False, True, "now holds"),
    ]
    assert (diff.rules[0].effect, diff.rules[0].message) == ("caution", "ca_a msg")


def test_a_new_criteria_version_is_reported_with_new_and_removed_rules():
    before = snap(rules=[rule("ca_old", True), rule("ca_quiet", False)], version=1)
    after = snap(
        rules=[rule("ca_new", True), rule("ca_new_quiet", False)],
        version=2,
        outcome="candidate_with_cautions",
    )
    diff = diff_screenings(before, after)
    assert diff.criteria_version == (1, 2)
    assert diff.outcome == ("candidate", "candidate_with_cautions")
    assert [(f.code, f.change_text) for f in diff.rules] == [
        ("ca_new", "new rule, holds"),
        ("ca_old", "rule removed (it held before)"),
    ]


def test_emergency_change_alone_counts_as_a_change():
    diff = diff_screenings(
        snap(outcome="urgent", emergency=False), snap(outcome="urgent", emergency=True)
    )
    assert diff.changed
    assert diff.emergency == (False, True)


def test_results_with_code_and_holds_only_flip_the_same_way_and_describe_it():
    """The impact preview compares rule results without effect or message: the same flips,
    described on one line each."""
    before = [{"code": "ca_a", "holds": True}, {"code": "ca_gone", "holds": True}]
    after = [
        {"code": "ca_a", "holds": False},
        {"code": "ca_new", "holds": True},
        {"code": "ca_new_quiet", "holds": False},
    ]
    flips = rule_flips(before, after)
    assert flips == (
        RuleFlip("ca_a", True, False),
        RuleFlip("ca_new", None, True),
        RuleFlip("ca_gone", True, None),
    )
    assert [flip.describe() for flip in flips] == [
        "ca_a: holds -> does not hold",
        "ca_new: absent -> holds",
        "ca_gone: holds -> absent",
    ]
