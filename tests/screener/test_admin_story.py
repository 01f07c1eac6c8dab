"""The issue's whole story as a criteria admin, then the physician's case view; background jobs."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from intake.models import Intake, IntakeStatus, ScreeningKind
from intake.rescreen import admin as rescreen_admin
from screener.models import CriteriaChange, CriteriaJob, CriteriaSet, CriteriaSetStatus
from screener.selectors import newest_published_set
from screener.services import criteria_set_clone
from tests.factories import PhysicianFactory
from tests.screener.helpers import INPATIENT, MILD, WARFARIN, submitted_intake
from tests.screener.test_admin import change_form_data, set_page, text, url

pytestmark = pytest.mark.django_db

# Outcomes as the admin's tables read them: the label, then the code in small type.
CAUTIONS = "Appears to meet criteria, cautions to review candidate_with_cautions"
CONSERVATIVE = "Conservative care suggested conservative"


@pytest.fixture
def seeded(default_set):
    """Four outpatients at NRS 6 (one decided), two inpatients, one mild outpatient."""
    return {
        "warfarin": [submitted_intake(WARFARIN) for _ in range(3)],
        "decided": submitted_intake(WARFARIN, status=IntakeStatus.DECIDED),
        "inpatient": [submitted_intake(INPATIENT) for _ in range(2)],
        "mild": submitted_intake(MILD, status=IntakeStatus.INFO_REQUESTED),
    }


def cell_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def table(page: str, table_id: str) -> list[list[str]]:
    """The body rows of an HTML table, each cell's text without tags."""
    body = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    return [
        [cell_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows
    ]


def test_threshold_change_from_clone_to_the_physicians_case_view(
    client_admin, cadmin, default_set, seeded, client, django_capture_on_commit_callbacks
):
    # 1. Clone the published set as a new draft.
    response = client_admin.post(url("criteriaset_clone", default_set.pk), {"note": "NRS 7"})
    draft = CriteriaSet.objects.get(procedure__slug="vertebroplasty", version=2)
    assert response["Location"] == url("criteriaset_change", draft.pk)

    # 2. Raise the outpatient pain threshold 5 -> 7 on the draft.
    page = set_page(draft, "parameters")
    data = change_form_data(client_admin, page)
    row = next(k for k, v in data.items() if v == "nrs_outpatient_min").removesuffix("-name")
    data[f"{row}-value"] = "7"
    assert client_admin.post(page, data).status_code == 302

    # 3. The golden case that now fails, with the difference.
    golden = text(client_admin.get(url("criteriaset_golden", draft.pk)))
    assert "59 passed, 1 failed." in golden
    assert [r for r in table(golden, "golden-results") if r[1] == "FAIL"] == [
        [
            "ex-stable-two-findings-on-warfarin Shared example: outpatient, stable NRS 6 with 30% "
            "height loss and RDQ 19 (2 findings); warfarin with INR 3.5",
            "FAIL",
            "Appears to meet criteria, cautions to review candidate_with_cautions",
            "Conservative care suggested conservative",
            "outcome: expected Appears to meet criteria, cautions to review "
            "(candidate_with_cautions), got Conservative care suggested (conservative)",
        ]
    ]
    # ... which publishing refuses, naming it.
    refused = text(client_admin.post(url("criteriaset_publish", draft.pk), follow=True))
    assert (
        "Golden case ex-stable-two-findings-on-warfarin: outcome: expected Appears to meet "
        "criteria, cautions to review (candidate_with_cautions), got Conservative care "
        "suggested (conservative)"
    ) in refused

    # 4. Fix the case: under the new threshold this patient gets conservative care suggested.
    case = draft.goldencase_set.get(name="ex-stable-two-findings-on-warfarin")
    form = client_admin.get(url("goldencase_change", case.pk)).context["adminform"].form
    fields = {name: form[name].value() for name in form.fields if name != "criteria_set"}
    fields["expected_outcome"] = "conservative"
    fields["expected_holding"] = []  # no box ticked
    fields["expected_missing"] = []
    fields["check_missing"] = "on"
    response = client_admin.post(url("goldencase_change", case.pk), fields)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert "60 passed, 0 failed." in text(client_admin.get(url("criteriaset_golden", draft.pk)))

    # 5. Preview the impact on the seeded intakes: exact counts, and the rule that flipped.
    preview = text(client_admin.post(url("criteriaset_impact", draft.pk), {"limit": "500"}))
    assert "7 intakes screened under vertebroplasty v2" in preview
    assert table(preview, "outcome-changes") == [[CAUTIONS, CONSERVATIVE, "4"]]
    changed = table(preview, "changed-cases")
    expected_ids = sorted([i.pk for i in seeded["warfarin"]] + [seeded["decided"].pk])
    assert sorted(int(r[0]) for r in changed) == expected_ids
    assert {r[2] for r in changed} == {
        "Outpatient with persistent pain despite non-surgical care and two or more structural or "
        "functional findings. pw_outpatient_findings : no longer holds"
    }

    # 6. Publish: new intakes use v2, v1 stays published for the intakes pinned to it.
    confirm = text(client_admin.get(url("criteriaset_publish", draft.pk)))
    assert "all 60 golden cases pass" in confirm
    client_admin.post(url("criteriaset_publish", draft.pk))
    draft.refresh_from_db()
    default_set.refresh_from_db()
    assert (draft.status, default_set.status) == ("published", "published")
    assert newest_published_set(draft.procedure) == draft

    # 7. Re-screen the open intakes in the background; the progress page shows the result.
    confirm = text(client_admin.get(url("criteriaset_rescreen", draft.pk)))
    assert "<strong>6</strong> open intakes" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = client_admin.post(url("criteriaset_rescreen", draft.pk))
    job = CriteriaJob.objects.get()
    assert response["Location"] == url("criteriajob_change", job.pk)
    assert (job.status, len(job.task_id)) == ("done", 32)  # the django-tasks result id
    progress = text(client_admin.get(response["Location"]))
    assert "6 / 6 intakes done (100%)." in progress
    assert 'http-equiv="refresh"' not in progress
    assert "data-job-running" not in progress and "job_progress" not in progress  # finished
    assert "6 intakes screened under vertebroplasty v2" in progress
    assert "<strong>3</strong> changed outcome, 3 did not." in progress
    assert "would change" not in progress
    assert table(progress, "outcome-changes") == [[CAUTIONS, CONSERVATIVE, "3"]]
    moved = seeded["warfarin"][0]
    moved.refresh_from_db()
    assert (moved.criteria_set_id, moved.outcome) == (draft.pk, "conservative")
    assert moved.latest_screening.kind == ScreeningKind.RESCREEN
    decided = Intake.objects.get(pk=seeded["decided"].pk)
    assert (decided.criteria_set_id, decided.outcome) == (default_set.pk, "candidate_with_cautions")

    # 8. The physician sees the change in the case view.
    client.force_login(PhysicianFactory())
    case_view = text(client.get(reverse("review:case", args=[moved.pk])))
    assert "Criteria changed: version 1 &rarr; version 2" in case_view
    assert "re-screened under vertebroplasty v2 (was v1)" in case_view

    # Every step is in the change log, with who did it.
    assert list(
        CriteriaChange.objects.filter(criteria_set=draft)
        .order_by("id")
        .values_list("action", "summary", "user")
    ) == [
        ("cloned", "Cloned from vertebroplasty v1 as a new draft", cadmin.pk),
        ("edited", "Parameter nrs_outpatient_min: value 5 -> 7", cadmin.pk),
        (
            "edited",
            "Golden case ex-stable-two-findings-on-warfarin: expected_outcome Appears to meet "
            "criteria, cautions to review (candidate_with_cautions) -> Conservative care "
            "suggested (conservative)",
            cadmin.pk,
        ),
        ("published", "Published vertebroplasty v2", cadmin.pk),
        (
            "rescreened",
            "Re-screened 6 open intakes onto vertebroplasty v2; 3 changed outcome",
            cadmin.pk,
        ),
    ]
    rescreened = CriteriaChange.objects.get(criteria_set=draft, action="rescreened")
    assert rescreened.details == [
        "Appears to meet criteria, cautions to review -> Conservative care suggested: 3"
    ]


def test_a_preview_over_more_intakes_runs_in_the_background(
    client_admin, default_set, seeded, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(rescreen_admin, "PREVIEW_IN_REQUEST", 2)
    draft = criteria_set_clone(criteria_set=default_set)
    draft.parameter_set.filter(name="nrs_outpatient_min").update(value=7)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_admin.post(url("criteriaset_impact", draft.pk), {"limit": "5"})
    job = CriteriaJob.objects.get()
    assert (job.kind, job.limit, job.status) == ("impact", 5, "done")
    progress = text(client_admin.get(response["Location"]))
    assert "5 / 5 intakes done (100%)." in progress
    assert "5 intakes screened under vertebroplasty v2" in progress
    assert table(progress, "outcome-changes")[0][:2] == [CAUTIONS, CONSERVATIVE]


def test_progress_page_refreshes_itself_while_the_job_runs(client_admin, default_set):
    from screener.models import CriteriaJobKind, CriteriaJobStatus

    job = CriteriaJob.objects.create(
        kind=CriteriaJobKind.RESCREEN,
        criteria_set=default_set,
        status=CriteriaJobStatus.RUNNING,
        total=1000,
        done=250,
        outcome_changes=[["candidate", "conservative", 12]],
    )
    page = text(client_admin.get(url("criteriajob_change", job.pk)))
    assert 'http-equiv="refresh"' not in page  # no meta refresh: a script polls, and a link
    assert 'data-job-running data-refresh-seconds="2"' in page
    assert re.search(r'<script src="/static/js/job_progress\.[\w.]*js" defer></script>', page)
    assert f'<a href="{url("criteriajob_change", job.pk)}" id="job-refresh">Refresh</a>' in page
    assert "250 / 1000 intakes done (25%)." in page
    assert table(page, "outcome-changes") == [
        ["Appears to meet criteria candidate", CONSERVATIVE, "12"]
    ]


def test_a_failed_job_says_so_and_what_is_left(client_admin, default_set):
    from screener.models import CriteriaJobKind, CriteriaJobStatus

    job = CriteriaJob.objects.create(
        kind=CriteriaJobKind.RESCREEN,
        criteria_set=default_set,
        status=CriteriaJobStatus.FAILED,
        error="Stopped by an error: OperationalError",
    )
    page = text(client_admin.get(url("criteriajob_change", job.pk)))
    assert "Stopped by an error: OperationalError" in page
    assert "Starting the re-screen again finishes the rest." in page
    assert 'http-equiv="refresh"' not in page


def test_rescreen_is_only_offered_under_the_newest_published_version(client_admin, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    draft.goldencase_set.all().delete()
    from screener.services import criteria_set_publish

    criteria_set_publish(criteria_set=draft)
    response = client_admin.get(url("criteriaset_rescreen", default_set.pk), follow=True)
    assert "re-screened under the newest published version (vertebroplasty v2)" in text(response)
    assert not CriteriaJob.objects.exists()
    assert CriteriaSet.objects.get(pk=default_set.pk).status == CriteriaSetStatus.PUBLISHED
