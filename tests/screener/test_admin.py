"""Criteria admin through the test client, as a criteria admin would use it."""

from __future__ import annotations

import json
import re

import pytest
from django import forms
from django.urls import reverse

from intake.services.accounts import roles_ensure
from screener.models import CriteriaChange, CriteriaSet, CriteriaSetStatus, Parameter, Rule
from screener.services import criteria_set_clone
from tests.factories import FrontDeskFactory, PhysicianFactory

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:screener_{name}", args=args)


def text(response) -> str:
    return response.content.decode()


def management(prefix: str, total: int, initial: int) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def set_page(criteria_set, part: str) -> str:
    return f"{url('criteriaset_change', criteria_set.pk)}?part={part}"


def change_form_data(client, page: str) -> dict[str, str]:
    """The POST data of a set's change page as it stands (every inline row included)."""
    response = client.get(page)
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        data[name] = "" if value is None else str(value)
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        data.update(management(fs.prefix, fs.total_form_count(), fs.initial_form_count()))
        for f in fs.forms:
            for name in f.fields:
                value = f[name].value()
                if isinstance(value, bool):
                    if value:
                        data[f.add_prefix(name)] = "on"
                    continue
                if isinstance(f.fields[name], forms.MultipleChoiceField):
                    data[f.add_prefix(name)] = list(value or [])  # checkboxes: one value each
                    continue
                if isinstance(value, list):
                    value = "\n".join(value)
                data[f.add_prefix(name)] = "" if value is None else str(value)
    return data


def test_published_set_page_is_read_only_with_clone_and_retire_only(client_admin, default_set):
    response = client_admin.get(url("criteriaset_change", default_set.pk))
    page = text(response)
    assert response.status_code == 200
    assert "Published: read-only." in page
    assert 'name="_save"' not in page
    assert "Clone as new draft" in page and "Retire" in page
    assert "Publish</a>" not in page
    assert url("criteriaset_delete", default_set.pk) not in page
    assert 'name="parameter_set-0-value"' not in page  # no editable row
    assert client_admin.post(url("criteriaset_change", default_set.pk), {}).status_code == 403
    assert (
        client_admin.post(url("criteriaset_delete", default_set.pk), {"post": "yes"}).status_code
        == 403
    )
    assert CriteriaSet.objects.get(pk=default_set.pk).status == CriteriaSetStatus.PUBLISHED


def test_saving_a_draft_with_a_bad_expression_shows_it_on_its_row_and_saves_nothing(
    client_admin, default_set
):
    draft = criteria_set_clone(criteria_set=default_set)
    page = set_page(draft, "rules")
    data = change_form_data(client_admin, page)
    rows = {data[k]: k.removesuffix("-code") for k in data if re.fullmatch(r"rule_set-\d+-code", k)}
    data[f"{rows['rf_minor']}-condition"] = "age < 18"
    data[f"{rows['ca_improving']}-condition"] = "pain_trend == 'better'"
    data[f"{rows['ca_many_levels']}-message"] = "Stage it."
    response = client_admin.post(page, data)
    assert response.status_code == 200  # the form again, with the errors
    formset = next(
        fs.formset for fs in response.context["inline_admin_formsets"] if fs.formset.model is Rule
    )
    errors = {f.instance.code: f.errors for f in formset.forms if f.errors}
    assert errors == {
        "rf_minor": {
            "condition": [
                "Rule rf_minor: unknown name 'age' (not a question, parameter or derived value)"
            ]
        },
        "ca_improving": {
            "condition": [
                "Rule ca_improving: 'better' is not a choice of pain_trend (worsening, stable, "
                "improving)"
            ]
        },
    }
    assert "Nothing was saved: 2 expression problem(s), shown on their rows." in text(response)
    assert Rule.objects.get(criteria_set=draft, code="rf_minor").condition == "age_years < 18"
    assert Rule.objects.get(criteria_set=draft, code="ca_many_levels").message != "Stage it."
    assert not CriteriaChange.objects.filter(action="edited").exists()


def test_saving_a_valid_edit_records_who_and_what_changed(client_admin, cadmin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    page = set_page(draft, "parameters")
    data = change_form_data(client_admin, page)
    params = {
        data[k]: k.removesuffix("-name") for k in data if re.fullmatch(r"parameter_set-\d+-name", k)
    }
    data[f"{params['nrs_outpatient_min']}-value"] = "7"
    response = client_admin.post(page, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert Parameter.objects.get(criteria_set=draft, name="nrs_outpatient_min").value == 7
    change = CriteriaChange.objects.get(action="edited")
    assert (change.user, change.criteria_set) == (cadmin, draft)
    assert change.details == ["Parameter nrs_outpatient_min: value 5 -> 7"]
    page = text(client_admin.get(set_page(draft, "history")))
    assert "Parameter nrs_outpatient_min: value 5 -&gt; 7" in page


@pytest.mark.parametrize(
    "part", ["parameters", "questions", "rules", "content", "golden", "history"]
)
def test_every_part_of_a_draft_saves_unchanged(client_admin, default_set, part):
    """Each part's page posts within Django's field limit and an unchanged save changes nothing."""
    draft = criteria_set_clone(criteria_set=default_set)
    page = set_page(draft, part)
    response = client_admin.post(page, {**change_form_data(client_admin, page), "_continue": "1"})
    assert response.status_code == 302
    assert response["Location"] == page  # stays on the same part
    assert not CriteriaChange.objects.filter(action="edited").exists()


def test_rule_and_question_inlines_filter_by_effect_and_section(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    response = client_admin.get(f"{set_page(draft, 'rules')}&effect=red_flag")
    [rules] = [fs.formset for fs in response.context["inline_admin_formsets"]]
    assert [f.instance.code for f in rules.forms] == [
        "rf_cauda_equina",
        "rf_progressive_deficit",
        "rf_cord_compression",
        "rf_infection",
        "rf_undiagnosed_malignancy",
        "rf_high_energy_trauma",
        "rf_minor",
    ]
    response = client_admin.get(f"{set_page(draft, 'questions')}&section=Setting")
    [questions] = [fs.formset for fs in response.context["inline_admin_formsets"]]
    assert [f.instance.code for f in questions.forms] == [
        "age_years",
        "patient_sex",
        "hospitalized",
        "pregnant",
    ]


def test_a_filtered_save_still_checks_the_rows_not_shown(client_admin, default_set):
    """Renaming a question on the Setting page breaks rules elsewhere: refused, named."""
    draft = criteria_set_clone(criteria_set=default_set)
    page = f"{set_page(draft, 'questions')}&section=Setting"
    data = change_form_data(client_admin, page)
    data["question_set-2-code"] = "inpatient"  # was hospitalized
    response = client_admin.post(page, data)
    assert response.status_code == 200
    page_text = text(response)
    assert "Nothing was saved" in page_text
    assert "Rule pw_inpatient: unknown name &#x27;hospitalized&#x27;" in page_text
    assert draft.question_set.filter(code="hospitalized").exists()


def test_rule_list_filters_by_effect_and_set(client_admin, default_set):
    response = client_admin.get(
        url("rule_changelist"), {"criteria_set__id__exact": default_set.pk, "effect": "pathway"}
    )
    assert [r.code for r in response.context["cl"].result_list] == [
        "pw_inpatient",
        "pw_outpatient_worsening",
        "pw_outpatient_findings",
        "pw_neoplastic",
    ]
    response = client_admin.get(url("question_changelist"), {"section": "Red flags"})
    assert len(response.context["cl"].result_list) == 9


def test_editing_a_rule_on_its_own_page_checks_the_whole_set(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    rule = draft.rule_set.get(code="ca_inr_high")
    data = {
        "order": rule.order,
        "code": rule.code,
        "effect": rule.effect,
        "condition": "inr > inr_limit",
        "message": rule.message,
        "source": rule.source,
    }
    response = client_admin.post(url("rule_change", rule.pk), data)
    assert response.context["adminform"].form.errors == {
        "condition": [
            "Rule ca_inr_high: unknown name 'inr_limit' (not a question, parameter or derived value)"
        ]
    }
    data["condition"] = "inr > 2"
    assert client_admin.post(url("rule_change", rule.pk), data).status_code == 302
    assert draft.rule_set.get(code="ca_inr_high").condition == "inr > 2"
    assert CriteriaChange.objects.get(action="edited").details == [
        "Rule ca_inr_high: condition inr > inr_max -> inr > 2"
    ]


def test_question_choices_are_edited_one_per_line(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    question = draft.question_set.get(code="pain_trend")
    response = client_admin.get(url("question_change", question.pk))
    assert "worsening\nstable\nimproving</textarea>" in text(response)
    data = {
        f: ("" if v is None else v)
        for f, v in response.context["adminform"].form.initial.items()
        if f != "criteria_set"
    }
    data["choices"] = "worsening\n\nstable\nimproving\nunsure  \n"
    data["blank_choices"] = "unsure"
    data["choice_labels_es"] = json.dumps(question.choice_labels_es)  # as the form shows it
    data["filled_from"] = ""
    response = client_admin.post(url("question_change", question.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    question.refresh_from_db()
    assert (question.choices, question.blank_choices) == (
        ["worsening", "stable", "improving", "unsure"],
        ["unsure"],
    )


def test_golden_case_form_checks_answers_and_rule_codes(client_admin, default_set):
    """The answers as JSON (``?answers=json``): each field's problem on it."""
    draft = criteria_set_clone(criteria_set=default_set)
    case = draft.goldencase_set.get(name="rule-pw_inpatient")
    data = {
        "order": case.order,
        "name": case.name,
        "description": case.description,
        "as_of": "2025-03-14",
        "answers": '{"pain_nrs": 11}',
        "expected_outcome": "candidate",
        "expected_holding": "pw_inpatient\npw_nowhere",
        "check_missing": "on",
        "expected_missing": "pain_level",
    }
    response = client_admin.post(url("goldencase_change", case.pk) + "?answers=json", data)
    assert response.context["adminform"].form.errors == {
        "answers": ["answers.pain_nrs: 11 is above the maximum 10"],
        "expected_holding": ["Not a rule of this set: pw_nowhere."],
        "expected_missing": ["Not a question of this set: pain_level."],
    }
    data.update(answers='{"pain_nrs": 9}', expected_holding="pw_inpatient", expected_missing="")
    assert (
        client_admin.post(url("goldencase_change", case.pk) + "?answers=json", data).status_code
        == 302
    )
    case.refresh_from_db()
    assert (case.answers, case.expected_holding, case.expected_missing) == (
        {"pain_nrs": 9},
        ["pw_inpatient"],
        [],
    )


def test_run_golden_cases_shows_pass_and_fail_with_the_difference(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    Parameter.objects.filter(criteria_set=draft, name="nrs_outpatient_min").update(value=7)
    response = client_admin.get(url("criteriaset_golden", draft.pk))
    page = text(response)
    assert "59 passed, 1 failed." in page
    failing = [r for r in response.context["results"] if not r.passed]
    assert [r.case.name for r in failing] == ["ex-stable-two-findings-on-warfarin"]
    assert (
        "outcome: expected Appears to meet criteria, cautions to review "
        "(candidate_with_cautions), got Conservative care suggested (conservative)"
    ) in page


def test_publish_page_refuses_and_says_which(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    Rule.objects.filter(criteria_set=draft, code="rf_minor").update(condition="age < 18")
    page = text(client_admin.get(url("criteriaset_publish", draft.pk)))
    assert "cannot be published yet" in page
    assert "Rule rf_minor: unknown name &#x27;age&#x27;" in page
    assert 'value="Yes, publish' not in page
    response = client_admin.post(url("criteriaset_publish", draft.pk), follow=True)
    assert "Not published: vertebroplasty v2 still has problems." in text(response)
    draft.refresh_from_db()
    assert draft.status == CriteriaSetStatus.DRAFT


def test_clone_and_retire_through_their_confirmation_pages(client_admin, cadmin, default_set):
    page = text(client_admin.get(url("criteriaset_clone", default_set.pk)))
    assert "becomes draft version 2" in page
    response = client_admin.post(
        url("criteriaset_clone", default_set.pk), {"note": "Raise the outpatient threshold"}
    )
    draft = CriteriaSet.objects.get(version=2)
    assert response["Location"] == url("criteriaset_change", draft.pk)
    assert (draft.status, draft.notes) == ("draft", "Raise the outpatient threshold")
    assert draft.goldencase_set.count() == 60

    page = text(client_admin.get(url("criteriaset_retire", default_set.pk)))
    assert "will have no published version" in page
    client_admin.post(url("criteriaset_retire", default_set.pk))
    default_set.refresh_from_db()
    assert default_set.status == CriteriaSetStatus.RETIRED
    assert list(CriteriaChange.objects.order_by("id").values_list("action", "user")) == [
        ("cloned", cadmin.pk),
        ("retired", cadmin.pk),
    ]


def test_changelist_actions_open_the_page_of_the_one_set_selected(client_admin, default_set):
    response = client_admin.post(
        url("criteriaset_changelist"),
        {"action": "action_clone", "_selected_action": [default_set.pk]},
    )
    assert response["Location"] == url("criteriaset_clone", default_set.pk)
    response = client_admin.post(
        url("criteriaset_changelist"),
        {
            "action": "action_clone",
            "_selected_action": [default_set.pk, criteria_set_clone(criteria_set=default_set).pk],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url("criteriaset_changelist")
    assert "Select exactly one criteria set." in text(client_admin.get(response["Location"]))
    assert "delete_selected" not in text(client_admin.get(url("criteriaset_changelist")))


def test_a_draft_is_deleted_with_a_line_in_the_change_log(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    client_admin.post(url("criteriaset_delete", draft.pk), {"post": "yes"})
    assert not CriteriaSet.objects.filter(pk=draft.pk).exists()
    deleted = CriteriaChange.objects.get(action="deleted")
    assert (deleted.set_label, deleted.criteria_set) == ("vertebroplasty v2", None)


def test_published_parts_cannot_be_changed_through_their_own_pages(client_admin, default_set):
    rule = default_set.rule_set.get(code="rf_minor")
    case = default_set.goldencase_set.get(name="ex-fever")
    assert client_admin.post(url("rule_change", rule.pk), {"condition": "True"}).status_code == 403
    assert client_admin.post(url("goldencase_change", case.pk), {"name": "x"}).status_code == 403
    assert client_admin.post(url("rule_delete", rule.pk), {"post": "yes"}).status_code == 403
    page = text(client_admin.get(url("goldencase_change", case.pk)))
    assert 'name="_save"' not in page
    rule.refresh_from_db()
    assert rule.condition == "age_years < 18"


def test_forms_refuse_parts_of_a_published_set(default_set):
    from screener.forms import RuleForm
    from screener.golden_form import GoldenCaseForm

    rule = default_set.rule_set.get(code="rf_minor")
    form = RuleForm(
        {
            "criteria_set": default_set.pk,
            "order": rule.order,
            "code": rule.code,
            "effect": rule.effect,
            "condition": "age_years < 16",
            "message": rule.message,
            "source": rule.source,
        },
        instance=rule,
    )
    assert not form.is_valid()
    assert form.non_field_errors() == [
        "vertebroplasty v1 is published and cannot be changed; clone it as a new draft."
    ]
    form = GoldenCaseForm(
        {
            "criteria_set": default_set.pk,
            "name": "new",
            "as_of": "2025-03-14",
            "answers": "{}",
            "expected_outcome": "needs_info",
        }
    )
    assert not form.is_valid()
    assert "criteria_set" in form.errors  # only drafts can be chosen


@pytest.mark.parametrize("factory", [FrontDeskFactory, PhysicianFactory])
def test_front_desk_and_physicians_cannot_reach_criteria_admin(client, default_set, factory):
    roles_ensure()
    client.force_login(factory())
    job_set = criteria_set_clone(criteria_set=default_set)
    pages = [
        reverse("admin:index"),
        url("criteriaset_changelist"),
        url("criteriaset_change", default_set.pk),
        url("criteriaset_golden", default_set.pk),
        url("criteriaset_impact", job_set.pk),
        url("criteriaset_publish", job_set.pk),
        url("criteriaset_clone", default_set.pk),
        url("criteriaset_retire", default_set.pk),
        url("criteriaset_rescreen", default_set.pk),
        url("criteriaset_export", default_set.pk),
        url("rule_changelist"),
        url("goldencase_changelist"),
        url("criteriachange_changelist"),
        url("criteriajob_changelist"),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse("admin:login")), page
    response = client.post(url("criteriaset_publish", job_set.pk))
    assert response["Location"].startswith(reverse("admin:login"))
    job_set.refresh_from_db()
    assert job_set.status == CriteriaSetStatus.DRAFT


def test_staff_without_the_criteria_role_cannot_publish(client, default_set):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True))
    draft = criteria_set_clone(criteria_set=default_set)
    assert client.get(url("criteriaset_publish", draft.pk)).status_code == 403
    assert client.post(url("criteriaset_publish", draft.pk)).status_code == 403


def test_export_downloads_the_set_as_json(client_admin, default_set):
    import json

    response = client_admin.get(url("criteriaset_export", default_set.pk))
    assert response["Content-Disposition"] == 'attachment; filename="vertebroplasty-v1.json"'
    assert len(json.loads(response.content)["golden_cases"]) == 60


def test_adding_a_set_makes_a_draft_with_the_next_version(client_admin, cadmin, default_set):
    response = client_admin.post(
        url("criteriaset_add"),
        {
            "procedure": default_set.procedure_id,
            "notes": "Started from scratch",
            "codes_note": "provisional",
        },
    )
    assert response.status_code == 302
    created = CriteriaSet.objects.get(notes="Started from scratch")
    assert (created.version, created.status) == (2, CriteriaSetStatus.DRAFT)
    change = CriteriaChange.objects.get(criteria_set=created)
    assert (change.action, change.summary, change.user) == (
        "created",
        "Created vertebroplasty v2 as a draft",
        cadmin,
    )


def test_a_queued_job_says_it_waits_for_the_worker(client_admin, default_set):
    from screener.models import CriteriaJob, CriteriaJobKind

    job = CriteriaJob.objects.create(kind=CriteriaJobKind.RESCREEN, criteria_set=default_set)
    page = text(client_admin.get(url("criteriajob_change", job.pk)))
    assert "Waiting for the task worker" in page
    assert "<code>manage.py run_worker</code>" in page and "db_worker" not in page
    assert 'data-job-running data-refresh-seconds="2"' in page


def test_a_task_whose_job_is_gone_does_nothing(default_set):
    from screener.tasks import rescreen_task

    result = rescreen_task.enqueue(123456)
    assert result.status == "SUCCESSFUL"


def test_a_draft_broken_elsewhere_refuses_an_edit_naming_the_broken_rule(client_admin, default_set):
    """Rows stored broken (through the ORM) block a save of another part, and say which."""
    draft = criteria_set_clone(criteria_set=default_set)
    Rule.objects.filter(criteria_set=draft, code="rf_minor").update(condition="age < 18")
    page = set_page(draft, "parameters")
    response = client_admin.post(page, change_form_data(client_admin, page))
    assert response.status_code == 200
    assert "Not saved: a row not shown here does not check: Rule rf_minor: unknown name" in text(
        response
    )
    # Pages without expressions (content blocks) still save the set's own fields.
    page = set_page(draft, "golden")
    data = change_form_data(client_admin, page) | {"notes": "Thresholds under review"}
    assert client_admin.post(page, data).status_code == 302
    draft.refresh_from_db()
    assert draft.notes == "Thresholds under review"


def test_the_change_log_and_jobs_are_read_only_even_for_criteria_admins(client_admin, default_set):
    """Nobody edits history: no add, change or delete on the change log or the job records."""
    criteria_set_clone(criteria_set=default_set)
    change = CriteriaChange.objects.order_by("-pk").first()
    assert client_admin.get(url("criteriachange_add")).status_code == 403
    assert client_admin.get(url("criteriachange_delete", change.pk)).status_code == 403
    assert client_admin.get(url("criteriajob_add")).status_code == 403
    response = client_admin.post(url("criteriachange_change", change.pk), {"summary": "rewritten"})
    assert response.status_code == 403
    change.refresh_from_db()
    assert change.summary != "rewritten"


def test_the_coding_table_and_follow_ups_are_a_part_of_the_set_page(client_admin, default_set):
    """A criteria admin (by role) sees and edits the coding table and the follow-up visits of
    a draft on their own part of the set's page."""
    from screener.services import criteria_set_clone

    draft = criteria_set_clone(criteria_set=default_set)
    page = text(client_admin.get(url("criteriaset_change", draft.pk) + "?part=coding"))
    assert "Coding rows" in page and "Follow-up visits" in page
    assert 'value="22513"' in page and 'value="+22515"' not in page and 'value="22515"' in page
    assert 'value="Visit at one month"' in page


def test_which_patient_fact_fills_a_question_is_one_labelled_choice(client_admin, default_set):
    """Criteria admins say which fact of the record fills a question; a fact the question
    cannot take is refused on the field."""
    draft = criteria_set_clone(criteria_set=default_set)
    question = draft.question_set.get(code="levels_count")
    response = client_admin.get(url("question_change", question.pk))
    page = text(response)
    assert "Filled by the app from" in page
    assert "Sex, from the patient record (a choice of female, male, other, unknown)" in page
    data = {
        f: ("" if v is None else v)
        for f, v in response.context["adminform"].form.initial.items()
        if f != "criteria_set"
    }
    data["filled_from"] = "sex"
    response = client_admin.post(url("question_change", question.pk), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["filled_from"] == [
        "The sex fills a choice question whose choices are the record's values: "
        "female, male, other, unknown."
    ]
    data["filled_from"] = "age"
    assert client_admin.post(url("question_change", question.pk), data).status_code == 302
    assert draft.question_set.get(code="levels_count").filled_from == "age"
