"""Criteria text is data, never a template or markup.

A criteria admin can write anything into a set's text: section names, prompts, help texts,
labels, choices, rule messages and sources, parameter and derived-value meanings, content
block titles and bodies, the set's notes, golden-case descriptions and the procedure's name.
Here every one of those fields of a published set holds script and template syntax, and every
page that shows them is opened as the role that reads it: each page answers 200, shows the text
escaped (so it is not silently dropped either), runs no template (no sum, no password hash, no
500 from ``{% if %}``) and carries no markup from it.
"""

from __future__ import annotations

import csv
import datetime
import html
import io
import json
import re
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from intake.models import DecisionKind, Intake, IntakeStatus
from intake.services import reviews
from screener import services, transfer
from screener.models import (
    ContentBlock,
    CriteriaSet,
    DerivedValue,
    GoldenCase,
    Parameter,
    Procedure,
    Question,
    Rule,
)
from tests.factories import (
    CriteriaAdminFactory,
    FrontDeskFactory,
    PatientFactory,
    PhysicianFactory,
)
from tests.intake.frontdesk_helpers import example_answers, form_data
from tests.intake.review.exports import download, export_start
from tests.intake.review.factories import submitted_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

# The screening date of the examples, and the clinic's clock for every request here.
NOW = datetime.datetime(2025, 3, 14, 15, 0, tzinfo=datetime.UTC)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
# Each template expression follows a marker, so its rendered value is recognisable.
SUM = "sum={{ 7|add:1000 }}"
PASSWORD = "pw={{ request.user.password }}"
BROKEN_TAG = "{% if %}"
FULL = f"{SCRIPT} {SUM} {PASSWORD} {BROKEN_TAG} {IMG}"
# Fields of at most 60 (labels) or 100 (sections) characters take one of these in turn; each
# variant alone would show its own failure (markup, a sum, a hash, a 500).
SHORT = (f"{SCRIPT}{SUM}", f"{IMG}{PASSWORD}", f"{BROKEN_TAG}{IMG}")

PROCEDURE_NAME = f"Procedure {FULL}"

RENDERED_SUM = "sum=1007"
HASH_PREFIXES = ("md5$", "pbkdf2", "argon2", "bcrypt", "scrypt")
# A choice added to a radio question and to a select question (no condition reads it).
RADIO_CHOICE_QUESTION, SELECT_CHOICE_QUESTION = "pain_trend", "fracture_level"


def section_text(index: int) -> str:
    return f"Section {index} {SHORT[index % len(SHORT)]}"


def label_text(index: int) -> str:
    return SHORT[index % len(SHORT)]  # a label holds 60 characters


def new_choice(code: str) -> str:
    return f"choice of {code.replace('_', '-')} {FULL}"  # an underscore reads as a space


def poison(draft: CriteriaSet) -> None:
    """Every text field of every part of the draft holds the payload; codes, conditions and
    values stay as they are, so the golden cases still pass."""
    sections: dict[str, str] = {}
    for index, question in enumerate(Question.objects.filter(criteria_set=draft)):
        question.section = sections.setdefault(question.section, section_text(len(sections)))
        question.prompt = f"Prompt {question.code} {FULL}"
        question.help_text = f"Help {question.code} {FULL}"
        question.label = label_text(index)
        if question.code in (RADIO_CHOICE_QUESTION, SELECT_CHOICE_QUESTION):
            question.choices = [*question.choices, new_choice(question.code)]
        question.full_clean()
        question.save()
    for index, parameter in enumerate(Parameter.objects.filter(criteria_set=draft)):
        parameter.label = label_text(100 + index)
        parameter.meaning = f"Meaning {parameter.name} {FULL}"
        parameter.full_clean()
        parameter.save()
    for index, derived in enumerate(DerivedValue.objects.filter(criteria_set=draft)):
        derived.label = label_text(200 + index)
        derived.meaning = f"Meaning {derived.name} {FULL}"
        derived.full_clean()
        derived.save()
    for rule in Rule.objects.filter(criteria_set=draft):
        rule.message = f"Message {rule.code} {FULL}"
        rule.source = f"Source {rule.code} {FULL}"
        rule.full_clean()
        rule.save()
    for block in ContentBlock.objects.filter(criteria_set=draft):
        block.title = f"Title {block.kind} {FULL}"
        block.body = f"{block.body}\nLine {block.kind} {FULL}"  # the placeholders stay
        block.full_clean()
        block.save()
    for case in GoldenCase.objects.filter(criteria_set=draft):
        case.description = f"Case {case.name} {FULL}"
        case.full_clean()
        case.save()
    draft.notes = f"Notes {FULL}"
    if hasattr(draft, "procedure_name"):  # the name a version shows, where versions keep it
        draft.procedure_name = PROCEDURE_NAME
    draft.full_clean()
    draft.save()


@pytest.fixture
def criteria_admin():
    return CriteriaAdminFactory(username="criteria-admin-xss")


@pytest.fixture
def poisoned_set(default_set, criteria_admin) -> CriteriaSet:
    """The default set cloned, every text field poisoned, published (golden cases pass), and
    the procedure renamed: the set new intakes use."""
    draft = services.criteria_set_clone(criteria_set=default_set, user=criteria_admin)
    before = transfer.criteria_set_data(draft)
    poison(draft)
    # Recorded as an admin's edit, so the change log lists every poisoned line.
    services.criteria_set_edit_record(criteria_set=draft, before=before, user=criteria_admin)
    published = services.criteria_set_publish(criteria_set=draft, now=NOW, user=criteria_admin)
    Procedure.objects.filter(pk=published.procedure_id).update(
        name=PROCEDURE_NAME, description=f"Description {FULL}"
    )
    return CriteriaSet.objects.select_related("procedure").get(pk=published.pk)


# --------------------------------------------------------------------------------------------
# What a page must and must not contain


def assert_text_is_data(response, *shown: str) -> str:
    """200; the payload never as markup nor run as a template; each of ``shown`` escaped."""
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    assert SCRIPT not in page
    assert "<img src=x" not in page
    assert RENDERED_SUM not in page
    for prefix in HASH_PREFIXES:
        assert prefix not in page
    for text in shown:
        assert escape(text) in page, f"not shown escaped: {text!r}"
    return page


def get(client: Client, url: str, **params: Any):
    with time_machine.travel(NOW, tick=False):
        return client.get(url, params)


def post(client: Client, url: str, data: dict[str, Any], **kwargs: Any):
    with time_machine.travel(NOW, tick=False):
        return client.post(url, data, **kwargs)


def start_intake(client: Client, procedure: Procedure, mrn: str) -> Intake:
    patient = PatientFactory(mrn=mrn, first_name="Ada", last_name="Lovelace")
    response = post(
        client, reverse("intake:intake-start"), {"patient": patient.pk, "procedure": procedure.pk}
    )
    assert response.status_code == 302
    return Intake.objects.get(patient=patient)


def asked(criteria_set: CriteriaSet) -> list[Question]:
    return list(
        Question.objects.filter(criteria_set=criteria_set, filled_from="").order_by("order", "id")
    )


def choice_shown(code: str) -> str:
    text = new_choice(code)
    return text[:1].upper() + text[1:]  # as the form labels a choice


# --------------------------------------------------------------------------------------------
# Front desk: the form, its live panel, the result page, the needs-information list, the handout


def test_the_intake_form_shows_every_question_text_as_text(client, poisoned_set):
    client.force_login(FrontDeskFactory())
    intake = start_intake(client, poisoned_set.procedure, "XSS-FORM-1")
    assert intake.criteria_set_id == poisoned_set.pk
    questions = asked(poisoned_set)
    page = assert_text_is_data(
        get(client, reverse("intake:intake-detail", args=[intake.pk])),
        PROCEDURE_NAME,
        *{q.section for q in questions},
        *(q.prompt for q in questions),
        *(q.help_text for q in questions),
        choice_shown(RADIO_CHOICE_QUESTION),
        choice_shown(SELECT_CHOICE_QUESTION),
    )
    # Each section is a fieldset whose legend is the section name as written.
    legends = re.findall(r"<legend>(.*?)</legend>", page, flags=re.S)
    assert [html.unescape(legend.strip()) for legend in legends] == list(
        dict.fromkeys(q.section for q in questions)
    )


def test_a_draft_of_the_poisoned_set_saves_and_reopens(client, poisoned_set):
    """``{% if %}`` in a section name once made every draft of its set a permanent 500."""
    client.force_login(FrontDeskFactory())
    intake = start_intake(client, poisoned_set.procedure, "XSS-DRAFT-1")
    answers = example_answers("ex-pain-score-missing.json")
    saved = post(
        client,
        reverse("intake:intake-detail", args=[intake.pk]),
        form_data(answers, version=intake.version),
        follow=True,
    )
    assert_text_is_data(saved, asked(poisoned_set)[0].prompt)
    stored = Intake.objects.get(pk=intake.pk).answers
    assert stored["fracture_level"] == answers["fracture_level"] == "L1"


def test_the_live_panel_shows_rule_messages_and_missing_prompts_as_text(client, poisoned_set):
    client.force_login(FrontDeskFactory())
    intake = start_intake(client, poisoned_set.procedure, "XSS-PANEL-1")
    url = reverse("intake:intake-panel", args=[intake.pk])
    version = intake.version

    emergency = post(
        client, url, form_data(example_answers("ex-cauda-equina.json"), version=version)
    )
    red_flags = Rule.objects.filter(criteria_set=poisoned_set, code="rf_cauda_equina")
    assert_text_is_data(emergency, *(r.message for r in red_flags), *(r.source for r in red_flags))

    missing = post(
        client, url, form_data(example_answers("ex-pain-score-missing.json"), version=version)
    )
    pain = Question.objects.get(criteria_set=poisoned_set, code="pain_nrs")
    assert_text_is_data(missing, pain.prompt)


def test_the_result_page_and_the_handout_show_rules_and_content_as_text(client, poisoned_set):
    desk = FrontDeskFactory()
    client.force_login(desk)
    intake = start_intake(client, poisoned_set.procedure, "XSS-RESULT-1")
    submitted = post(
        client,
        reverse("intake:intake-detail", args=[intake.pk]),
        form_data(
            example_answers("ex-inpatient-candidate.json"),
            version=intake.version,
            action="submit",
        ),
        follow=True,
    )
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.SUBMITTED
    screening = intake.latest_screening
    held = [r for r in screening.rule_results if r["holds"]]
    assert held, "the candidate example holds some rules"
    rules = {r.code: r for r in Rule.objects.filter(criteria_set=poisoned_set)}
    assert_text_is_data(
        submitted,
        PROCEDURE_NAME,
        *(rules[r["code"]].message for r in held),
        *(rules[r["code"]].source for r in held),
    )

    with time_machine.travel(NOW, tick=False):
        reviews.review_decide(
            intake=intake,
            screening_id=intake.latest_screening_id,
            kind=DecisionKind.PROCEED,
            physician=PhysicianFactory(),
        )
    patient_blocks = [
        b
        for b in ContentBlock.objects.filter(criteria_set=poisoned_set)
        if "patient" in b.readers and "decision:proceed" in b.shown_with
    ]
    assert patient_blocks
    assert_text_is_data(
        get(client, reverse("intake:intake-handout", args=[intake.pk])),
        *(b.title for b in patient_blocks),
        *(f"Line {b.kind} {FULL}" for b in patient_blocks),
    )
    staff_blocks = [
        b
        for b in ContentBlock.objects.filter(criteria_set=poisoned_set)
        if "staff" in b.readers and "decision:proceed" in b.shown_with
    ]
    assert staff_blocks
    assert_text_is_data(
        get(client, reverse("intake:intake-detail", args=[intake.pk])),
        *(b.title for b in staff_blocks),
        *(f"Line {b.kind} {FULL}" for b in staff_blocks),
    )
    assert_text_is_data(
        get(client, reverse("intake:patient-detail", args=[intake.patient_id])),
        PROCEDURE_NAME,
    )


def test_the_needs_information_list_shows_missing_prompts_as_text(client, poisoned_set):
    client.force_login(FrontDeskFactory())
    intake = start_intake(client, poisoned_set.procedure, "XSS-NEEDS-1")
    post(
        client,
        reverse("intake:intake-detail", args=[intake.pk]),
        form_data(
            example_answers("ex-pain-score-missing.json"),
            version=intake.version,
            action="submit",
        ),
    )
    intake.refresh_from_db()
    assert intake.latest_screening.outcome == "needs_info"
    pain = Question.objects.get(criteria_set=poisoned_set, code="pain_nrs")
    assert_text_is_data(get(client, reverse("intake:needs-info-list")), pain.prompt)


# --------------------------------------------------------------------------------------------
# Physician: the case view, the queue and its CSV export


@pytest.fixture
def submitted_candidate(poisoned_set) -> Intake:
    client = Client()
    client.force_login(FrontDeskFactory())
    intake = start_intake(client, poisoned_set.procedure, "XSS-CASE-1")
    post(
        client,
        reverse("intake:intake-detail", args=[intake.pk]),
        form_data(
            example_answers("ex-inpatient-candidate.json"),
            version=intake.version,
            action="submit",
        ),
    )
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.SUBMITTED
    return intake


def test_the_case_view_shows_every_rule_and_block_as_text(
    client, poisoned_set, submitted_candidate
):
    client.force_login(PhysicianFactory())
    rules = Rule.objects.filter(criteria_set=poisoned_set)
    physician_blocks = [
        b
        for b in ContentBlock.objects.filter(criteria_set=poisoned_set)
        if "physician" in b.readers and "candidate" in b.shown_with
    ]
    assert physician_blocks
    assert_text_is_data(
        get(client, reverse("review:case", args=[submitted_candidate.pk])),
        PROCEDURE_NAME,
        *(r.message for r in rules),
        *(r.source for r in rules),
        *(b.title for b in physician_blocks),
        *(f"Line {b.kind} {FULL}" for b in physician_blocks),
    )


def test_the_queue_and_its_csv_export_show_the_text_as_written(
    client, poisoned_set, submitted_candidate
):
    emergency = submitted_intake(
        outcome="emergency", criteria_set=poisoned_set, patient__mrn="XSS-QUEUE-1"
    )
    message = Rule.objects.get(criteria_set=poisoned_set, code="rf_cauda_equina").message
    client.force_login(PhysicianFactory())
    assert_text_is_data(get(client, reverse("review:queue")), PROCEDURE_NAME, message)

    with time_machine.travel(NOW, tick=False):
        export = export_start(client)
        response = download(client, export)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    body = b"".join(response.streaming_content).decode()
    lines = list(csv.reader(io.StringIO(body, newline="")))
    assert lines[-1] == [f"# Export complete: {len(lines) - 3} rows."]
    header, *rows = lines[:-2]
    rows_by_mrn = {row[header.index("MRN")]: row for row in rows}
    # Data, as written: a spreadsheet shows the text, it does not run it.
    assert rows_by_mrn["XSS-CASE-1"][header.index("Procedure")] == PROCEDURE_NAME
    assert rows_by_mrn[emergency.patient.mrn][header.index("Key reason")] == message
    assert RENDERED_SUM not in body
    assert not any(prefix in body for prefix in HASH_PREFIXES)


# --------------------------------------------------------------------------------------------
# Criteria admin: the set's pages in Django admin


@pytest.fixture
def admin_client(client, criteria_admin):
    client.force_login(criteria_admin)
    return client


@pytest.mark.parametrize(
    ("part", "texts"),
    [
        (
            "parameters",
            lambda s: [
                *(p.meaning for p in s.parameter_set.all()),
                *(p.label for p in s.parameter_set.all()),
                *(d.meaning for d in s.derivedvalue_set.all()),
                *(d.label for d in s.derivedvalue_set.all()),
                s.notes,
            ],
        ),
        (
            "questions",
            lambda s: [
                *(q.prompt for q in s.question_set.all()),
                *(q.help_text for q in s.question_set.all()),
                *(q.section for q in s.question_set.all()),
                *(q.label for q in s.question_set.all()),
            ],
        ),
        ("rules", lambda s: [*(r.message for r in s.rule_set.all())]),
        ("content", lambda s: [*(b.title for b in s.contentblock_set.all())]),
        ("golden", lambda s: [*(g.description for g in s.goldencase_set.all())]),
        ("history", lambda s: s.changes.get(action="edited").details),
    ],
)
def test_each_part_of_the_set_in_admin_shows_its_text_as_text(
    admin_client, poisoned_set, part, texts
):
    url = reverse("admin:screener_criteriaset_change", args=[poisoned_set.pk])
    assert_text_is_data(get(admin_client, url, part=part), *texts(poisoned_set))


def test_the_admin_pages_beside_the_set_show_its_text_as_text(admin_client, poisoned_set):
    golden = poisoned_set.goldencase_set.all()
    assert_text_is_data(
        get(admin_client, reverse("admin:screener_criteriaset_golden", args=[poisoned_set.pk])),
        *(g.description for g in golden),
    )
    rules = poisoned_set.rule_set.all()
    assert_text_is_data(
        get(
            admin_client,
            reverse("admin:screener_rule_changelist"),
            criteria_set__id__exact=poisoned_set.pk,
        ),
        *(r.source for r in rules),
    )
    questions = poisoned_set.question_set.all()
    assert_text_is_data(
        get(
            admin_client,
            reverse("admin:screener_question_changelist"),
            criteria_set__id__exact=poisoned_set.pk,
        ),
        *(q.prompt for q in questions),
        *(q.section for q in questions),  # the section filter
    )
    assert_text_is_data(
        get(admin_client, reverse("admin:screener_rule_change", args=[rules[0].pk])),
        rules[0].message,
    )
    assert_text_is_data(
        get(admin_client, reverse("admin:screener_procedure_changelist")),
        PROCEDURE_NAME,
    )


def test_a_draft_of_the_poisoned_set_previews_and_publishes_as_text(
    admin_client, poisoned_set, submitted_candidate, criteria_admin
):
    draft = services.criteria_set_clone(criteria_set=poisoned_set, user=criteria_admin)
    rule = Rule.objects.get(criteria_set=draft, code="rf_cauda_equina")
    assert_text_is_data(
        get(
            admin_client,
            reverse("admin:screener_criteriaset_change", args=[draft.pk]),
            part="rules",
        ),
        rule.message,
    )
    impact_url = reverse("admin:screener_criteriaset_impact", args=[draft.pk])
    assert_text_is_data(get(admin_client, impact_url))
    preview = post(admin_client, impact_url, {"limit": "10"})
    assert_text_is_data(preview)
    assert preview.context["report"].evaluated == 1
    assert_text_is_data(
        get(admin_client, reverse("admin:screener_criteriaset_publish", args=[draft.pk]))
    )


# --------------------------------------------------------------------------------------------
# The screen command


def test_the_screen_command_prints_rule_text_as_json_data(poisoned_set, tmp_path):
    case = {
        "procedure": poisoned_set.procedure.slug,
        "as_of": "2025-03-14",
        "answers": example_answers("ex-cauda-equina.json"),
    }
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps([case]))
    out = io.StringIO()
    call_command("screen", str(cases), stdout=out)
    (line,) = out.getvalue().splitlines()
    result = json.loads(line)
    messages = {rule["code"]: rule["message"] for rule in result["rules"]}
    assert messages["rf_cauda_equina"] == f"Message rf_cauda_equina {FULL}"
    assert RENDERED_SUM not in line
