"""The impact preview and the re-screen as pages of the criteria set admin: added by the intake
side through ``screener.hooks``, seen exactly as before (buttons, list actions, the message
after a publish); without the intake side the criteria admin shows only its own pages."""

from __future__ import annotations

import re

import pytest

from screener.hooks import Registry, registry
from screener.models import CriteriaSet
from screener.services import criteria_set_clone, criteria_set_publish, criteria_set_retire
from tests.screener.test_admin import text, url

pytestmark = pytest.mark.django_db


def tools(page: str) -> list[tuple[str, str]]:
    """(href, label) of the set's own links above its form, in order."""
    block = page.split('<ul class="object-tools">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<li><a href="([^"]+)"[^>]*>([^<]+)</a></li>', block)


def expected(criteria_set: CriteriaSet, *pages: str) -> list[tuple[str, str]]:
    labels = {
        "golden": "Run golden cases",
        "golden_from_intake": "Golden case from an intake",
        "impact": "Preview impact",
        "publish": "Publish",
        "clone": "Clone as new draft",
        "retire": "Retire",
        "rescreen": "Re-screen open intakes",
        "export": "Export JSON",
        "fhir_questionnaire": "Export FHIR Questionnaire",  # added by intake.fhir.hooks
    }
    return [(url(f"criteriaset_{name}", criteria_set.pk), labels[name]) for name in pages]


def draft_of(default_set: CriteriaSet) -> CriteriaSet:
    draft = criteria_set_clone(criteria_set=default_set)
    draft.goldencase_set.all().delete()  # publishable at once
    return draft


def test_a_draft_offers_golden_cases_impact_publish_and_export(client_admin, default_set):
    draft = draft_of(default_set)
    page = text(client_admin.get(url("criteriaset_change", draft.pk)))
    assert tools(page) == expected(
        draft, "golden", "golden_from_intake", "impact", "publish", "export", "fhir_questionnaire"
    )


def test_only_the_newest_published_version_offers_the_rescreen(client_admin, default_set):
    page = text(client_admin.get(url("criteriaset_change", default_set.pk)))
    assert tools(page) == expected(
        default_set, "golden", "clone", "retire", "rescreen", "export", "fhir_questionnaire"
    )

    newer = criteria_set_publish(criteria_set=draft_of(default_set))
    page = text(client_admin.get(url("criteriaset_change", default_set.pk)))
    assert tools(page) == expected(
        default_set, "golden", "clone", "retire", "export", "fhir_questionnaire"
    )
    page = text(client_admin.get(url("criteriaset_change", newer.pk)))
    assert tools(page) == expected(
        newer, "golden", "clone", "retire", "rescreen", "export", "fhir_questionnaire"
    )

    criteria_set_retire(criteria_set=default_set)
    page = text(client_admin.get(url("criteriaset_change", default_set.pk)))
    assert tools(page) == expected(default_set, "golden", "clone", "export", "fhir_questionnaire")


def test_the_list_actions_keep_their_names_and_order(client_admin, default_set):
    page = text(client_admin.get(url("criteriaset_changelist")))
    menu = page.split('name="action"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="(\w+)">([^<]+)</option>', menu) == [
        ("action_run_golden", "Run golden cases"),
        ("action_preview_impact", "Preview impact (draft)"),
        ("action_publish", "Publish (draft)"),
        ("action_clone", "Clone as new draft"),
        ("action_retire", "Retire (published)"),
        ("action_rescreen", "Re-screen open intakes (newest published)"),
    ]


@pytest.mark.parametrize(
    ("action", "page"), [("action_preview_impact", "impact"), ("action_rescreen", "rescreen")]
)
def test_the_intake_sides_actions_open_the_page_of_the_one_set_selected(
    client_admin, default_set, action, page
):
    response = client_admin.post(
        url("criteriaset_changelist"), {"action": action, "_selected_action": [default_set.pk]}
    )
    assert response["Location"] == url(f"criteriaset_{page}", default_set.pk)


def test_publishing_offers_the_rescreen_next(client_admin, default_set):
    draft = draft_of(default_set)
    page = text(client_admin.post(url("criteriaset_publish", draft.pk), follow=True))
    assert (
        "Published vertebroplasty v2: new intakes use it. Older versions stay in use for the "
        "intakes pinned to them; re-screen open intakes from the button above."
    ) in page


def test_without_the_intake_side_the_criteria_admin_shows_only_its_own_pages(
    client_admin, default_set, monkeypatch
):
    """Nothing registered: no impact or re-screen button or action, and the message after a
    publish says nothing of intakes pinned to older versions."""
    for name, empty in vars(Registry()).items():  # the shared registry, emptied
        monkeypatch.setattr(registry, name, empty)
    draft = draft_of(default_set)
    page = text(client_admin.get(url("criteriaset_change", draft.pk)))
    assert tools(page) == expected(draft, "golden", "publish", "export")
    menu = text(client_admin.get(url("criteriaset_changelist")))
    assert "action_preview_impact" not in menu
    assert "action_rescreen" not in menu
    page = text(client_admin.post(url("criteriaset_publish", draft.pk), follow=True))
    assert "Published vertebroplasty v2: new intakes use it." in page
    assert "re-screen" not in page.lower()
