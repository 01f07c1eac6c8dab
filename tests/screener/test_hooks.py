"""The registry through which other apps add pages and job kinds to the criteria side."""

from __future__ import annotations

import pytest

from screener import services, tasks
from screener.hooks import CriteriaSetPage, JobHandler, Registry
from screener.models import CriteriaJobKind, CriteriaJobStatus


def page(name: str, after: str = "") -> CriteriaSetPage:
    return CriteriaSetPage(name, view=lambda model_admin, request, object_id: None, after=after)


OWN = (page("golden"), page("publish"), page("export"))


def names(pages: list[CriteriaSetPage]) -> list[str]:
    return [p.name for p in pages]


def test_added_pages_follow_the_own_page_they_name():
    registry = Registry()
    registry.add_page(page("rescreen", after="publish"))
    registry.add_page(page("impact", after="golden"))
    registry.add_page(page("notes", after="golden"))
    assert names(registry.pages_in_order(OWN)) == [
        "golden",
        "impact",
        "notes",
        "publish",
        "rescreen",
        "export",
    ]


def test_an_added_page_naming_no_own_page_comes_last():
    registry = Registry()
    registry.add_page(page("elsewhere", after="nowhere"))
    registry.add_page(page("first"))
    assert names(registry.pages_in_order(OWN)) == [
        "golden",
        "publish",
        "export",
        "elsewhere",
        "first",
    ]


def test_registering_again_replaces_and_an_own_page_is_never_shadowed():
    registry = Registry()
    registry.add_page(page("impact", after="golden"))
    registry.add_page(page("impact", after="publish"))
    registry.add_page(page("golden", after="export"))  # an own page's name: left out
    assert names(registry.pages_in_order(OWN)) == ["golden", "publish", "impact", "export"]


def test_nothing_registered_leaves_the_own_pages():
    assert names(Registry().pages_in_order(OWN)) == ["golden", "publish", "export"]
    assert Registry().publish_notes(criteria_set=None) == []
    assert Registry().job_handler(CriteriaJobKind.IMPACT) is None


def test_job_handlers_and_publish_notes_are_found_by_kind_and_name():
    registry = Registry()
    handler = JobHandler(run=lambda run: None, resume_effect="Starts again.", report=dict)
    registry.add_job_handler(CriteriaJobKind.RESCREEN, handler)
    registry.add_publish_note("next", lambda criteria_set: f"Then {criteria_set}.")
    registry.add_publish_note("next", lambda criteria_set: f"Next {criteria_set}.")
    assert registry.job_handler("rescreen") is handler
    assert registry.job_handler(CriteriaJobKind.IMPACT) is None
    assert registry.publish_notes("v2") == ["Next v2."]


@pytest.mark.django_db
def test_a_job_of_a_kind_no_app_handles_fails_saying_so(default_set, monkeypatch):
    monkeypatch.setattr(tasks, "registry", Registry())
    job = services.criteria_job_create(kind=CriteriaJobKind.IMPACT, criteria_set=default_set)
    tasks.impact_preview_task.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == (
        CriteriaJobStatus.FAILED,
        "No task worker handles impact jobs.",
    )
