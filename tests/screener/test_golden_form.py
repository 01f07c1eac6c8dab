"""The golden case form by question: one field per question of the draft, the outcome by its
label, rules and missing questions ticked; stored as the same JSON as before."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from screener.golden_form import GoldenCaseForm
from screener.models import CriteriaChange, GoldenCase, Question
from screener.services import criteria_set_clone
from tests.screener.test_admin import text, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(default_set):
    return criteria_set_clone(criteria_set=default_set)


def posted(form) -> dict[str, Any]:
    """What a browser would send back for the form as shown (nothing changed)."""
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list):
            data[name] = value
        elif value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value.isoformat() if isinstance(value, datetime.date) else str(value)
    return data


def test_every_golden_case_saved_unchanged_through_the_form_keeps_its_json(draft):
    """Stored exactly as before: the default set's 57 cases, each sent back as shown."""
    form_class = GoldenCaseForm.for_set(draft)
    cases = list(draft.goldencase_set.order_by("order"))
    assert len(cases) == 60
    for case in cases:
        form = form_class(posted(form_class(instance=case)), instance=case)
        assert form.is_valid(), (case.name, form.errors)
        saved = form.save(commit=False)
        assert (saved.answers, saved.expected_holding, saved.expected_missing) == (
            GoldenCase.objects.get(pk=case.pk).answers,
            GoldenCase.objects.get(pk=case.pk).expected_holding,
            GoldenCase.objects.get(pk=case.pk).expected_missing,
        ), case.name


def test_the_change_page_asks_each_question_by_its_prompt(client_admin, draft):
    case = draft.goldencase_set.get(name="rule-pw_inpatient")
    response = client_admin.get(url("goldencase_change", case.pk))
    form = response.context["adminform"].form
    questions = list(draft.question_set.order_by("order"))
    assert [n for n in form.fields if n.startswith("answer_")] == [
        f"answer_{q.code}" for q in questions
    ]
    pain = form.fields["answer_pain_nrs"]
    assert pain.label == Question.objects.get(criteria_set=draft, code="pain_nrs").prompt
    assert (pain.widget.attrs["min"], pain.widget.attrs["max"]) == ("0", "10")
    assert form["answer_pain_nrs"].value() == str(case.answers["pain_nrs"])
    page = text(response)
    # Booleans as Yes / No / Not answered; the outcome by its label; rules by message and code.
    assert 'type="radio" name="answer_hospitalized" value="true"' in page
    assert "Appears to meet criteria (candidate)</option>" in page
    assert 'name="expected_holding" value="pw_inpatient"' in page
    # The JSON, read only, with the way to edit it as text.
    assert '<details class="golden-json">' in page and "?answers=json" in page
    assert 'name="answers"' not in page


def test_errors_name_the_question_and_nothing_is_stored(client_admin, draft):
    case = draft.goldencase_set.get(name="rule-pw_inpatient")
    stored = dict(case.answers)
    page = url("goldencase_change", case.pk)
    data = posted(client_admin.get(page).context["adminform"].form)
    data.update(
        answer_pain_nrs="11",
        answer_hospitalized="maybe",
        answer_symptom_onset_date="2025-04-01",  # after the screening date, 2025-03-14
        answer_fracture_level="Z9",
    )
    response = client_admin.post(page, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["answer_pain_nrs"] == ["pain: 11 is above the maximum 10."]
    assert errors["answer_hospitalized"] == ["inpatient: Expected true or false, got 'maybe'."]
    assert errors["answer_symptom_onset_date"][0].startswith("pain began")
    assert "after the screening date" in errors["answer_symptom_onset_date"][0]
    assert errors["answer_fracture_level"][0].startswith("fracture level: 'Z9' is not one of: ")
    assert GoldenCase.objects.get(pk=case.pk).answers == stored


def test_a_new_case_by_question_is_stored_as_json_and_logged(client_admin, draft):
    page = url("goldencase_add") + f"?criteria_set={draft.pk}"
    form = client_admin.get(page).context["adminform"].form
    data = posted(form) | {
        "criteria_set": str(draft.pk),
        "order": "900",
        "name": "typed-by-hand",
        "as_of": "2025-03-14",
        "answer_hospitalized": "false",
        "answer_pain_nrs": "8",
        "answer_symptom_onset_date": "2025-02-01",
        "expected_outcome": "needs_info",
        "expected_holding": ["pw_inpatient"],
        "check_missing": "on",
        "expected_missing": ["pain_nrs", "hospitalized"],  # ticked in any order
    }
    response = client_admin.post(page, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    case = GoldenCase.objects.get(criteria_set=draft, name="typed-by-hand")
    assert case.answers == {
        "hospitalized": False,
        "symptom_onset_date": "2025-02-01",
        "pain_nrs": 8,
    }
    assert case.expected_holding == ["pw_inpatient"]
    assert case.expected_missing == ["hospitalized", "pain_nrs"]  # the checklist's order
    assert CriteriaChange.objects.filter(criteria_set=draft, summary__contains="typed-by-hand")


def test_unticked_check_missing_stores_no_missing_list(client_admin, draft):
    case = draft.goldencase_set.get(name="rule-pw_inpatient")
    page = url("goldencase_change", case.pk)
    data = posted(client_admin.get(page).context["adminform"].form)
    data.pop("check_missing", None)
    data["expected_missing"] = ["pain_nrs"]
    assert client_admin.post(page, data).status_code == 302
    assert GoldenCase.objects.get(pk=case.pk).expected_missing is None


def test_question_text_is_escaped_on_the_form(client_admin, draft):
    """Prompts, choices and rule messages are data typed by another person."""
    Question.objects.filter(criteria_set=draft, code="pain_nrs").update(
        prompt="<b>Pain</b> {{ request.user.password }}"
    )
    draft.rule_set.filter(code="pw_inpatient").update(message="<i>inpatient</i> {% now 'Y' %}")
    case = draft.goldencase_set.get(name="rule-pw_inpatient")
    page = text(client_admin.get(url("goldencase_change", case.pk)))
    assert "&lt;b&gt;Pain&lt;/b&gt; {{ request.user.password }}" in page
    assert "&lt;i&gt;inpatient&lt;/i&gt; {% now &#x27;Y&#x27; %}" in page
    assert "<b>Pain</b>" not in page and "<i>inpatient</i>" not in page


def test_the_json_form_stays_for_power_users(client_admin, draft):
    case = draft.goldencase_set.get(name="rule-pw_inpatient")
    form = (
        client_admin.get(url("goldencase_change", case.pk) + "?answers=json")
        .context["adminform"]
        .form
    )
    assert "answers" in form.fields
    assert not [n for n in form.fields if n.startswith("answer_")]


def test_a_published_sets_case_is_shown_read_only(client_admin, default_set):
    case = default_set.goldencase_set.get(name="ex-fever")
    page = text(client_admin.get(url("goldencase_change", case.pk)))
    assert 'name="_save"' not in page and 'name="answer_' not in page
    assert "ex-fever" in page
