"""Content blocks are data: where a block appears follows from its readers and moments, its
placeholders are filled by plain substitution, and a set can carry new kinds of block."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from screener.content import (
    NO_ONSET_TEXT,
    content_problems,
    fill_placeholders,
    placeholder_problems,
    sections_for,
)
from screener.models import ContentBlock
from screener.services import PublishRefused, criteria_set_clone, criteria_set_publish

PARAMETERS = {"nrs_outpatient_min": 5, "early_care_weeks": 3, "max_fracture_age_weeks": 12.0}


def test_parameters_and_the_procedure_window_are_filled_in():
    text = (
        "Still {nrs_outpatient_min} or more after {early_care_weeks} weeks? "
        "Until {date_after_onset:max_fracture_age_weeks}."
    )
    assert fill_placeholders(text, parameters=PARAMETERS, onset=datetime.date(2025, 2, 7)) == (
        "Still 5 or more after 3 weeks? Until May 2, 2025."
    )
    assert fill_placeholders(
        "{date_after_onset:max_fracture_age_weeks}", parameters=PARAMETERS
    ) == (NO_ONSET_TEXT)


def test_text_is_never_run_as_a_template():
    """Criteria text comes from another person: braces that name no parameter stay as typed."""
    text = "{{ request.user.password }} {% if x %} {unknown} {inr_max:nothing}"
    assert fill_placeholders(text, parameters=PARAMETERS) == text


def test_unknown_placeholders_are_reported():
    assert placeholder_problems(
        "{nrs_outpatient_min} {pain_minimum} {date_after_onset:nope} {weeks:early_care_weeks}",
        parameter_names=PARAMETERS,
    ) == [
        "{pain_minimum} names no parameter of this set",
        "{date_after_onset:nope} is not a placeholder: use {parameter} or "
        "{date_after_onset:parameter}",
        "{weeks:early_care_weeks} is not a placeholder: use {parameter} or "
        "{date_after_onset:parameter}",
    ]


def block(kind, readers, shown_with, order=10, body="Line one.\nLine two."):
    return ContentBlock(
        kind=kind,
        title=kind.title(),
        body=body,
        readers=readers,
        shown_with=shown_with,
        order=order,
    )


def test_a_reader_sees_the_blocks_of_the_moment_in_set_order():
    blocks = [
        block("later", ["patient"], ["decision:proceed"], order=20),
        block("first", ["patient", "physician"], ["decision:proceed", "candidate"], order=10),
        block("physicians_only", ["physician"], ["candidate"], order=5),
        block("other_moment", ["patient"], ["decision:conservative"], order=1),
    ]
    chosen = sections_for(
        blocks, reader="patient", moments={"decision:proceed"}, parameters=PARAMETERS
    )
    assert [s.kind for s in chosen] == ["first", "later"]
    assert chosen[0].items == ["Line one.", "Line two."]
    physician = sections_for(
        blocks, reader="physician", moments={"candidate"}, parameters=PARAMETERS
    )
    assert [s.kind for s in physician] == ["physicians_only", "first"]


def test_readers_and_moments_are_checked():
    with pytest.raises(ValidationError) as bad:
        block("x", ["nurse"], ["decision:maybe"]).clean()
    assert set(bad.value.message_dict) == {"readers", "shown_with"}
    block("x", ["staff"], ["candidate", "decision:not_candidate"]).clean()


@pytest.mark.django_db
def test_publishing_refuses_a_placeholder_that_names_no_parameter(default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    ContentBlock.objects.filter(criteria_set=draft, kind="conservative_handout").update(
        body="Call if your pain is {pain_minimum} or more."
    )
    with pytest.raises(PublishRefused) as refused:
        criteria_set_publish(criteria_set=draft)
    assert refused.value.messages == [
        "Content block conservative_handout: {pain_minimum} names no parameter of this set"
    ]


@pytest.mark.django_db
def test_the_default_set_has_no_placeholder_problem(default_set):
    blocks = list(default_set.contentblock_set.all())
    names = list(default_set.parameter_set.values_list("name", flat=True))
    assert content_problems(blocks, parameter_names=names) == []
    assert {b.kind for b in blocks} >= {
        "procedure_description",
        "evidence_summary",
        "conservative_handout",
    }
    assert "USD" not in " ".join(b.body for b in blocks)  # no cost figure


@pytest.mark.django_db
def test_a_new_kind_of_block_appears_on_the_case_view_without_code(client, default_set):
    """An admin adds "mri_safety" for physicians with candidates: no migration, no code."""
    from intake.services.accounts import roles_ensure
    from screener import adapters
    from tests.factories import PhysicianFactory
    from tests.intake.review.factories import submitted_intake

    roles_ensure()
    draft = criteria_set_clone(criteria_set=default_set)
    ContentBlock.objects.create(
        criteria_set=draft,
        order=999,
        kind="mri_safety",
        title="MRI safety before cement",
        body="Check the implant card (limit {inr_max}).",
        readers=["physician"],
        shown_with=["candidate"],
    )
    criteria_set_publish(criteria_set=draft)
    adapters.clear_cache()
    intake = submitted_intake(outcome="candidate", criteria_set=draft)
    client.force_login(PhysicianFactory())
    page = client.get(f"/review/{intake.pk}/").content.decode()
    assert "MRI safety before cement" in page
    assert "Check the implant card (limit 1.5)." in page
