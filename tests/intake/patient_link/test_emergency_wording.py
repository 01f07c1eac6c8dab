"""The red-flag message on the patient's pages is the criteria set's own wording (its
``patient_emergency`` block) in the page's language; built-in wording only for a set without
the block; criteria text is shown as text."""

from __future__ import annotations

import pytest

from intake.models import Intake
from intake.patient_link import services
from screener.models import ContentBlock
from screener.services import criteria_set_clone
from tests.factories import IntakeFactory, PatientFactory
from tests.intake.patient_link.conftest import BIRTH
from tests.intake.patient_link.test_patient_pages import RED_FLAG_STEP, step_url

pytestmark = pytest.mark.django_db

BUILT_IN = "Call 911 or go to the nearest emergency room now"


@pytest.fixture
def own_set(default_set):
    """A draft of the default set whose emergency block has wording of its own."""
    draft_set = criteria_set_clone(criteria_set=default_set)
    ContentBlock.objects.filter(criteria_set=draft_set, kind="patient_emergency").update(
        title="Act now",
        body="Phone 911 this minute.\nPain above {nrs_outpatient_min} is not the point now.",
        title_es="Actúe ya",
        body_es="Llame al 911 en este minuto.",
    )
    return draft_set


def red_flag_page(client, desk, criteria_set, *, language: str = "en") -> str:
    """The page a patient of an intake on this set sees after reporting a red flag."""
    intake = IntakeFactory(
        patient=PatientFactory(date_of_birth=BIRTH, sex="female"), criteria_set=criteria_set
    )
    _link, token = services.patient_link_create(intake_id=intake.pk, user=desk)
    client.post(f"/p/{token}/", {"date_of_birth": BIRTH.isoformat()})
    client.post(f"/p/{token}/language/", {"language": language, "next": f"/p/{token}/"})
    response = client.post(step_url(token, RED_FLAG_STEP), {"cauda_equina_signs": "true"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert Intake.objects.get(pk=intake.pk).emergency
    return client.get(response["Location"]).content.decode()


def emergency_banner(page: str) -> str:
    start = page.index('id="patient-emergency"')
    return page[start : page.index("</div>", start)]


def test_the_default_set_carries_the_message_in_both_languages(client, desk, default_set):
    block = default_set.contentblock_set.get(kind="patient_emergency")
    assert block.readers == ["patient"] and block.shown_with == []
    assert BUILT_IN in emergency_banner(red_flag_page(client, desk, default_set))
    spanish = emergency_banner(red_flag_page(type(client)(), desk, default_set, language="es"))
    assert "Llame al 911 o vaya ahora a la sala de emergencias más cercana." in spanish
    assert "(555) 010-9111" in spanish


def test_the_patient_sees_the_sets_wording_with_placeholders_filled(client, desk, own_set):
    banner = emergency_banner(red_flag_page(client, desk, own_set))
    assert '<h2 class="h4">Act now</h2>' in banner
    assert "Phone 911 this minute. Pain above 5 is not the point now." in banner
    assert BUILT_IN not in banner
    assert "(555) 010-9111" in banner  # the clinic's on-call number still follows


def test_the_spanish_page_shows_the_sets_spanish_wording(client, desk, own_set):
    banner = emergency_banner(red_flag_page(client, desk, own_set, language="es"))
    assert '<h2 class="h4">Actúe ya</h2>' in banner
    assert "Llame al 911 en este minuto." in banner
    assert "Phone 911" not in banner and "sala de emergencias" not in banner


def test_a_spanish_page_without_spanish_wording_shows_the_english_wording(client, desk, own_set):
    ContentBlock.objects.filter(criteria_set=own_set, kind="patient_emergency").update(
        title_es="", body_es=""
    )
    banner = emergency_banner(red_flag_page(client, desk, own_set, language="es"))
    assert '<h2 class="h4">Act now</h2>' in banner
    assert "Phone 911 this minute." in banner


def test_a_set_without_the_block_falls_back_to_the_built_in_wording(client, desk, own_set):
    ContentBlock.objects.filter(criteria_set=own_set, kind="patient_emergency").delete()
    english = emergency_banner(red_flag_page(client, desk, own_set))
    assert "Get help now" in english and BUILT_IN in english
    spanish = emergency_banner(red_flag_page(type(client)(), desk, own_set, language="es"))
    assert "Busque ayuda ahora" in spanish and "Llame al 911 o vaya ahora" in spanish


def test_criteria_wording_is_shown_as_text(client, desk, own_set):
    ContentBlock.objects.filter(criteria_set=own_set, kind="patient_emergency").update(
        title="<b>Now</b>",
        body='<script>alert("x")</script> {{ request.session }} Call 911.',
    )
    banner = emergency_banner(red_flag_page(client, desk, own_set))
    assert "<script>" not in banner and "<b>" not in banner
    assert "&lt;b&gt;Now&lt;/b&gt;" in banner
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in banner
    assert "{{ request.session }} Call 911." in banner
