"""Questions not needed for this patient are collapsed on the intake form, on the server's word.

A question required "when" a condition that does not hold (the engine's ``not_needed``, with the
app-filled age and sex) and without an answer is rendered in a closed ``<details>`` whose summary
names it and says "not needed for this patient"; the live panel carries the same list
(``data-collapsed``) for the page's script. Nothing stored or screened changes."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.utils.safestring import SafeString

from intake.forms.intake_form_html import conditional_question
from intake.models import Intake, Sex
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory
from tests.intake.frontdesk_helpers import form_data, intake_url

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2025, 3, 14, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def desk_client(client):
    client.force_login(FrontDeskFactory())
    return client


def draft_for(age: int, sex: str, answers: dict | None = None) -> Intake:
    patient = PatientFactory(date_of_birth=datetime.date(2025 - age, 1, 1), sex=sex)
    return IntakeFactory(patient=patient, answers=answers or {})


def details_of(page: str, code: str) -> str:
    """The opening tag of a conditional question's <details>."""
    found = re.search(rf'<details class="[^"]*" id="when_{code}"[^>]*>', page)
    assert found, f"no <details> for {code}"
    return found.group(0)


def collapsed_on_page(page: str) -> set[str]:
    return set(
        re.findall(
            r'<details class="conditional-question conditional-collapsed" id="when_(\w+)">', page
        )
    )


def panel_collapsed(page: str) -> set[str]:
    return set(re.search(r'data-collapsed="([^"]*)"', page).group(1).split())


@pytest.mark.parametrize(
    ("age", "sex", "pregnancy_collapsed"),
    [
        (82, Sex.MALE, True),
        (40, Sex.MALE, True),
        (40, Sex.FEMALE, False),
        (40, Sex.UNKNOWN, False),
        (40, Sex.OTHER, False),
    ],
)
def test_the_pregnancy_question_is_collapsed_when_not_possible(
    desk_client, default_set, age, sex, pregnancy_collapsed
):
    page = desk_client.get(intake_url(draft_for(age, sex))).content.decode()
    assert ("pregnant" in collapsed_on_page(page)) is pregnancy_collapsed
    assert ("pregnant" in panel_collapsed(page)) is pregnancy_collapsed
    if pregnancy_collapsed:
        assert " open" not in details_of(page, "pregnant")
        summary = re.search(r'id="when_pregnant">(<summary.*?</summary>)', page).group(1)
        assert "Pregnant or possibly pregnant" in summary
        assert "not needed for this patient" in summary
    else:
        assert details_of(page, "pregnant").endswith(" open>")
        assert 'id="div_id_pregnant" class="mb-3 question question-required"' in page


def test_an_empty_form_collapses_every_conditional_question_not_needed(desk_client, default_set):
    page = desk_client.get(intake_url(draft_for(82, Sex.MALE))).content.decode()
    assert (
        collapsed_on_page(page)
        == panel_collapsed(page)
        == {
            "pregnant",
            "fracture_level",
            "levels_count",
            "edema_or_uptake",
            "advanced_imaging_date",
            "height_loss_percent",
            "height_loss_progressing",
            "kyphotic_deformity",
            "retropulsion",
            "posterior_wall_disrupted",
            "cord_compression",
            "malignant_features",
            "rdq_score",
        }
    )
    # Still in the form: a closed <details> is posted like any other field.
    assert 'name="pregnant"' in page and 'name="fracture_level"' in page
    # Questions that are always asked (or needed now) are never in a <details>.
    assert 'id="when_pain_nrs"' not in page
    assert details_of(page, "pain_trend").endswith(" open>")  # needed: not an inpatient


def test_an_answered_question_is_never_collapsed(desk_client, default_set):
    intake = draft_for(82, Sex.MALE, {"pregnant": False, "fracture_level": "L1"})
    page = desk_client.get(intake_url(intake)).content.decode()
    assert {"pregnant", "fracture_level"} & collapsed_on_page(page) == set()
    assert details_of(page, "pregnant").endswith(" open>")
    assert "levels_count" in collapsed_on_page(page)  # not needed, not answered


def test_the_panel_says_which_questions_to_collapse_as_the_answers_change(desk_client, default_set):
    intake = draft_for(82, Sex.MALE)
    panel = desk_client.post(intake_url(intake, "panel/"), form_data({}, version=1))
    assert {"fracture_level", "levels_count"} <= panel_collapsed(panel.content.decode())

    confirmed = desk_client.post(
        intake_url(intake, "panel/"), form_data({"fracture_confirmed": True}, version=1)
    ).content.decode()
    assert {"fracture_level", "levels_count"} & panel_collapsed(confirmed) == set()
    assert {"fracture_level", "levels_count"} <= set(
        re.search(r'data-required="([^"]*)"', confirmed).group(1).split()
    )
    # An answer keeps its question open; a value with an error too (it must be corrected).
    answered = desk_client.post(
        intake_url(intake, "panel/"),
        form_data(
            {"fracture_confirmed": False, "fracture_level": "L1", "levels_count": 99}, version=1
        ),
    ).content.decode()
    assert {"fracture_level", "levels_count"} & panel_collapsed(answered) == set()
    assert "pregnant" in panel_collapsed(answered)


def test_a_form_sent_back_with_an_error_keeps_that_question_open(desk_client, default_set):
    intake = draft_for(82, Sex.MALE)
    response = desk_client.post(intake_url(intake), form_data({"levels_count": "lots"}, version=1))
    assert response.status_code == 400
    page = response.content.decode()
    assert "levels_count" not in collapsed_on_page(page)
    assert "fracture_level" in collapsed_on_page(page)


def test_collapsing_changes_nothing_stored_or_screened(desk_client, default_set):
    """A collapsed question posted with an answer is saved; submitting screens as before."""
    intake = draft_for(82, Sex.MALE)
    response = desk_client.post(
        intake_url(intake), form_data({"pregnant": False, "retropulsion": True}, version=1)
    )
    assert response.status_code == 302
    intake.refresh_from_db()
    assert intake.answers == {"pregnant": False, "retropulsion": True}


def test_the_summary_shows_the_prompt_as_text_never_as_markup():
    """Criteria text is data: the prompt in the summary is escaped, never a template."""
    html = conditional_question(
        code="pregnant", prompt="<b>{{ x }}</b>", collapsed=True, inner=SafeString("")
    )
    assert '<span class="conditional-prompt">&lt;b&gt;{{ x }}&lt;/b&gt;</span>' in html
    assert "<b>" not in html
