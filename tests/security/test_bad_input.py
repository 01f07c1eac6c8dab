"""Bad input is a clear 400, 404 or form error naming the field, never a server error, and a
rejected request changes nothing already saved: one test (or table) per cause found by fuzzing
(issue 9, items 7 and 9), plus the number, date and missing-field rules of the intake form."""

from __future__ import annotations

import datetime
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from intake.forms.patients import CONFIRMED_INVALID
from intake.models import Intake, IntakeStatus, Patient, QueueExport
from intake.services.accounts import roles_ensure
from screener import engine
from screener.admin_params import NUL_REFUSED
from screener.models import CriteriaJob, CriteriaJobKind, GoldenCase
from screener.services import criteria_set_clone
from tests.criteria_data import AS_OF, default_spec
from tests.factories import (
    CriteriaAdminFactory,
    FrontDeskFactory,
    IntakeFactory,
    PatientFactory,
    PhysicianFactory,
)
from tests.intake.review.exports import exported
from tests.intake.review.factories import submitted_intake

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2025, 3, 14, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOON, tick=False):
        yield


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def doc_client(db):
    roles_ensure()
    return logged_in(PhysicianFactory())


@pytest.fixture
def desk_client(db):
    roles_ensure()
    return logged_in(FrontDeskFactory())


@pytest.fixture
def admin_client(db):
    roles_ensure()
    return logged_in(CriteriaAdminFactory())


def short(value) -> str:
    """A test id: the value's repr, cut (a 5,000-digit number makes an unreadable name)."""
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:20]}…"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# ------------------------------------------------------------------------- 1. take ?next=


@pytest.mark.parametrize(
    "target",
    [
        "abc",  # read by redirect() as a view name: NoReverseMatch, a 500
        "review:queue",  # a real view name: reversed, though no page writes it
        "//evil.example/x",
        "/\\evil.example/x",
        "https://evil.example/",
        "javascript:alert(1)",
        "/review/\nLocation: x",  # a header split
        "",
    ],
    ids=short,
)
def test_take_with_a_next_that_is_not_a_local_path_goes_to_the_case(
    doc_client, default_set, target
):
    """`take` follows `next` only when it is a local path; anything else opens the case."""
    intake = submitted_intake()
    response = doc_client.post(f"/review/{intake.pk}/take/", {"next": target})
    assert (response.status_code, response["Location"]) == (302, f"/review/{intake.pk}/")
    assert Intake.objects.get(pk=intake.pk).assigned_to_id is not None


def test_take_follows_a_local_path(doc_client, default_set):
    intake = submitted_intake()
    response = doc_client.post(
        f"/review/{intake.pk}/take/", {"next": "/review/?status=all&outcome=candidate"}
    )
    assert response["Location"] == "/review/?status=all&outcome=candidate"


# -------------------------------------------------------- 2. confirmed_distinct_from ids


PATIENT = {
    "mrn": "MRN-NEW-1",
    "first_name": "Ada",
    "last_name": "Byron",
    "date_of_birth": "1950-02-03",
    "sex": "female",
}


@pytest.mark.parametrize(
    "confirmed",
    ["²", "9" * 5000, "1,abc", "-1", "1e3", "٣", "1,,2x", "7" * 19],
    ids=["superscript two", "5000 digits", "a word", "negative", "1e3", "arabic-indic", "2x", "19"],
)
def test_registration_with_bad_confirmed_ids_is_a_form_error_and_saves_nothing(
    desk_client, default_set, confirmed
):
    """The hidden list of patients confirmed as different takes only ASCII-digit ids."""
    before = Patient.objects.count()
    response = desk_client.post("/patients/new/", {**PATIENT, "confirmed_distinct_from": confirmed})
    form = response.context["form"]
    assert response.status_code == 200
    assert form.errors == {
        "confirmed_distinct_from": [CONFIRMED_INVALID],
        "__all__": [CONFIRMED_INVALID],
    }
    page = response.content.decode()
    assert CONFIRMED_INVALID in page
    # The form shown again carries no bad value (an empty hidden input has no value).
    assert re.findall(r'<input[^>]*name="confirmed_distinct_from"[^>]*>', page) == [
        '<input type="hidden" name="confirmed_distinct_from" autocomplete="off" '
        'id="id_confirmed_distinct_from">'
    ]
    assert Patient.objects.count() == before


def test_editing_a_patient_with_bad_confirmed_ids_changes_nothing(desk_client, default_set):
    patient = PatientFactory(first_name="Ada", last_name="Byron")
    response = desk_client.post(
        f"/patients/{patient.pk}/edit/",
        {**PATIENT, "mrn": patient.mrn, "first_name": "Eve", "confirmed_distinct_from": "²"},
    )
    assert response.context["form"].errors["confirmed_distinct_from"] == [CONFIRMED_INVALID]
    assert Patient.objects.get(pk=patient.pk).first_name == "Ada"


def test_registration_with_confirmed_ids_registers(desk_client, default_set):
    response = desk_client.post(
        "/patients/new/", {**PATIENT, "confirmed_distinct_from": " 12, 345 "}
    )
    assert response.status_code == 302
    assert Patient.objects.filter(mrn="MRN-NEW-1").count() == 1


# ------------------------------------------------------------ 3. queue and export dates


DATE_RANGE = "enter a date from 1900-01-01 to 2100-12-31."


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("submitted_to=9999-12-31", "submitted_to", f"Submitted to: {DATE_RANGE}"),
        ("submitted_from=0001-01-01", "submitted_from", f"Submitted from: {DATE_RANGE}"),
        ("submitted_to=2101-01-01", "submitted_to", f"Submitted to: {DATE_RANGE}"),
    ],
)
def test_queue_reports_and_ignores_an_implausible_date_filter(
    doc_client, default_set, query, field, message
):
    """The filter is shown with its error and ignored: the queue lists every waiting case."""
    intake = submitted_intake()
    response = doc_client.get(f"/review/?{query}")
    assert response.status_code == 200
    assert response.context["filter_form"].errors == {field: [message]}
    assert [row.intake_id for row in response.context["rows"]] == [intake.pk]


def test_export_refuses_invalid_filters_with_a_400_naming_them(doc_client, default_set):
    """An export never silently drops a filter: 400 and the reasons, not a header-only file."""
    submitted_intake()
    response = doc_client.post("/review/exports/?submitted_to=9999-12-31&outcome=bogus")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "No export was made: the filters are not valid. Outcome: Select a valid choice. bogus "
        f"is not one of the available choices. Submitted to: {DATE_RANGE} Correct them on the "
        "queue page and export again.\n"
    )
    assert not QueueExport.objects.exists()


def test_export_with_plausible_dates_still_exports(doc_client, default_set):
    submitted_intake(submitted_at=NOON)
    rows = exported(doc_client, {"submitted_from": "1900-01-01", "submitted_to": "2100-12-31"})
    assert len(rows) == 2


# ---------------------------------------------------------------- 4. admin ids not integers


ADMIN_SET_PAGES = ["golden", "impact", "publish", "clone", "retire", "rescreen", "export"]


@pytest.mark.parametrize("bad_id", ["abc", "1e3", "²", "٣", "-1", "9" * 30], ids=short)
@pytest.mark.parametrize("page", ADMIN_SET_PAGES)
def test_set_pages_answer_a_non_integer_id_with_404(admin_client, default_set, page, bad_id):
    response = admin_client.get(f"/admin/screener/criteriaset/{bad_id}/{page}/")
    assert response.status_code == 404


@pytest.mark.parametrize("bad_id", ["abc", "1e3", "²", "9" * 30], ids=short)
def test_job_page_answers_a_non_integer_id_with_404(admin_client, default_set, bad_id):
    response = admin_client.get(f"/admin/screener/criteriajob/{bad_id}/change/")
    assert response.status_code == 404


def test_set_and_job_pages_still_open_by_their_integer_id(admin_client, default_set):
    job = CriteriaJob.objects.create(kind=CriteriaJobKind.IMPACT, criteria_set=default_set)
    assert (
        admin_client.get(f"/admin/screener/criteriaset/{default_set.pk}/golden/").status_code == 200
    )
    assert admin_client.get(f"/admin/screener/criteriajob/{job.pk}/change/").status_code == 200


# ---------------------------------------------------------------- 5. golden-case answers


def golden_data(case: GoldenCase, answers: str) -> dict[str, str]:
    return {
        "order": str(case.order),
        "name": case.name,
        "description": case.description,
        "as_of": "2025-03-14",
        "answers": answers,
        "expected_outcome": case.expected_outcome,
        "expected_holding": "\n".join(case.expected_holding),
    }


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ("", "Give the answers as a JSON object: question code to answer ({} for none)."),
        ("   ", "Give the answers as a JSON object: question code to answer ({} for none)."),
        (
            '{"pain_nrs": ' + "9" * 5000 + "}",
            "The number 99999999999999999999… has more than 15 digits.",
        ),
        ('{"pain_nrs": 1e400}', "The number 1e400 is too large or too long."),
        ('{"pain_nrs": NaN}', "NaN is not a JSON number: give a number, or null for blank."),
        (
            "[" * 5000 + "]" * 5000,
            "The answers are nested too deeply: give a JSON object of question code to answer.",
        ),
        (
            '{"fracture_level": "\\ud800"}',
            'The text "\\ud800" holds a NUL (\\u0000) or a lone surrogate (such as \\ud800), '
            "which cannot be stored.",
        ),
        (
            '{"a\\u0000": 1}',
            'The text "a\\u0000" holds a NUL (\\u0000) or a lone surrogate (such as \\ud800), '
            "which cannot be stored.",
        ),
        ('{"pain_nrs": 9', "Not valid JSON: Expecting ',' delimiter (line 1, column 15)."),
        ("[1]", "Give the answers as a JSON object: question code to answer."),
    ],
    ids=[
        "blank",
        "spaces",
        "5000 digits",
        "1e400",
        "NaN",
        "nested",
        "lone surrogate",
        "NUL",
        "broken",
        "a list",
    ],
)
def test_golden_case_answers_that_cannot_be_stored_are_a_form_error(
    admin_client, default_set, answers, message
):
    """Each is an error on the answers field, the page shows again, the case is unchanged."""
    draft = criteria_set_clone(criteria_set=default_set)
    case = draft.goldencase_set.get(name="rule-pw_inpatient")
    stored = case.answers
    response = admin_client.post(
        reverse("admin:screener_goldencase_change", args=[case.pk]) + "?answers=json",
        golden_data(case, answers),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"answers": [message]}
    assert GoldenCase.objects.get(pk=case.pk).answers == stored


def test_a_new_golden_case_with_blank_answers_is_not_created(admin_client, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    case = draft.goldencase_set.get(name="rule-pw_inpatient")
    count = GoldenCase.objects.count()
    data = golden_data(case, "") | {"criteria_set": str(draft.pk), "name": "blank-answers"}
    response = admin_client.post(reverse("admin:screener_goldencase_add") + "?answers=json", data)
    assert response.context["adminform"].form.errors == {
        "answers": ["Give the answers as a JSON object: question code to answer ({} for none)."]
    }
    assert GoldenCase.objects.count() == count


def test_a_nul_in_a_line_list_is_a_form_error(admin_client, default_set):
    draft = criteria_set_clone(criteria_set=default_set)
    case = draft.goldencase_set.get(name="rule-pw_inpatient")
    data = golden_data(case, json.dumps(case.answers)) | {"expected_holding": "pw_in\x00patient"}
    response = admin_client.post(
        reverse("admin:screener_goldencase_change", args=[case.pk]) + "?answers=json", data
    )
    assert response.context["adminform"].form.errors == {
        "expected_holding": ["Remove the NUL character (\\u0000) from these lines."]
    }


# ------------------------------------------------------------ 6. change-log and NUL filters


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("at__year=" + "9" * 5000, "'999999999999…' is not a year."),
        ("at__year=9999&at__month=12", "9999 is not a year from 1900 to 2100."),
        ("at__year=9999&at__month=12&at__day=31", "9999 is not a year from 1900 to 2100."),
        ("at__year=0001", "1 is not a year from 1900 to 2100."),
        ("at__year=2025&at__month=13", "that day does not exist."),
        ("at__year=2025&at__month=%D9%A3", "'٣' is not a month."),
        ("at__month=3", "a month or a day needs a year."),
    ],
)
def test_change_log_drops_an_implausible_date_filter_with_a_message(
    admin_client, default_set, query, message
):
    """The list opens without the date filter (the other filters kept) and says why."""
    response = admin_client.get(f"/admin/screener/criteriachange/?action=publish&{query}")
    assert (response.status_code, response["Location"]) == (
        302,
        "/admin/screener/criteriachange/?action=publish",
    )
    assert messages_of(response) == [f"The date filter was ignored: {message}"]
    assert admin_client.get(response["Location"]).status_code == 200


def test_change_log_keeps_a_plausible_date_filter(admin_client, default_set):
    response = admin_client.get("/admin/screener/criteriachange/?at__year=2100&at__month=12")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "page",
    [
        "/admin/screener/criteriaset/{pk}/change/?part=questions&section=a%00b",
        "/admin/screener/criteriaset/{pk}/change/?part=rules&effect=%00",
        "/admin/screener/question/?section=a%00b",
        "/admin/screener/question/?q=%00",
        "/admin/screener/question/?a%00b=1",
        "/admin/screener/rule/?code=%00",
        "/admin/screener/criteriachange/?summary=%00",
        "/admin/screener/criteriaset/{pk}/golden/?section=%00",
        "/admin/screener/criteriaset/{pk}/history/?x=%00",
        "/admin/screener/procedure/?name=%00",
    ],
)
def test_a_nul_in_an_admin_query_is_a_400(admin_client, default_set, page):
    """PostgreSQL text cannot hold NUL: the admin refuses it before any query."""
    response = admin_client.get(page.format(pk=default_set.pk))
    assert response.status_code == 400


def test_the_nul_refusal_says_why():
    assert NUL_REFUSED == (
        "Bad request: the address holds a NUL character (%00), which no page uses."
    )


# ------------------------------------------------- 7. intake numbers and dates, the engine


@pytest.fixture
def draft(default_set):
    return IntakeFactory(
        patient=PatientFactory(date_of_birth=datetime.date(1946, 6, 1)),
        answers={"pain_nrs": 7, "inr": 1.2, "symptom_onset_date": "2025-02-28"},
        version=3,
    )


ARABIC_DATE = "\u0662\u0660\u0662\u0665-\u0660\u0661-\u0660\u0661"  # 2025-01-01
NUMBER_SHAPE = (
    "Enter a number with the digits 0-9, an optional sign and at most one decimal point "
    "(up to 15 digits on each side of it)."
)


@pytest.mark.parametrize(
    ("code", "typed"),
    [
        ("pain_nrs", "1_0"),
        ("pain_nrs", "٣"),  # Arabic-Indic three
        ("pain_nrs", "1e1"),
        ("pain_nrs", "1 0"),
        ("pain_nrs", "0x5"),
        ("pain_nrs", "9" * 5000),
        ("pain_nrs", "--5"),
        ("pain_nrs", "5.5.5"),
        ("inr", "1e-1"),
        ("inr", "²"),
    ],
    ids=short,
)
def test_numbers_take_only_plain_ascii_decimals(desk_client, draft, code, typed):
    """Anything but digits, a sign and one point is an error on its field; nothing is saved."""
    response = desk_client.post(f"/intakes/{draft.pk}/", {"_version": "3", code: typed})
    assert response.status_code == 400
    assert response.context["form"].errors == {code: [NUMBER_SHAPE]}
    assert Intake.objects.get(pk=draft.pk).answers == draft.answers


@pytest.mark.parametrize("typed", ["inf", "nan", "lots", "-"])
def test_a_number_field_without_a_digit_gets_the_engine_message(desk_client, draft, typed):
    response = desk_client.post(f"/intakes/{draft.pk}/", {"_version": "3", "inr": typed})
    assert response.context["form"].errors == {"inr": [f"Expected a number, got '{typed}'."]}
    assert Intake.objects.get(pk=draft.pk).answers == draft.answers


@pytest.mark.parametrize(
    ("code", "typed", "stored"),
    [
        ("pain_nrs", "8", 8),
        ("pain_nrs", "+8", 8),
        ("pain_nrs", "08", 8),
        ("pain_nrs", "8.0", 8),
        ("pain_nrs", " 9 ", 9),
        ("inr", "1.5", 1.5),
        ("inr", ".9", 0.9),
        ("inr", "2", 2.0),
    ],
    ids=short,
)
def test_plain_numbers_are_saved(desk_client, draft, code, typed, stored):
    response = desk_client.post(f"/intakes/{draft.pk}/", {"_version": "3", code: typed})
    assert response.status_code == 302
    assert Intake.objects.get(pk=draft.pk).answers[code] == stored


def test_a_plain_number_out_of_range_gets_the_engine_message(desk_client, draft):
    response = desk_client.post(f"/intakes/{draft.pk}/", {"_version": "3", "pain_nrs": "-1"})
    assert response.context["form"].errors == {"pain_nrs": ["-1 is below the minimum 0."]}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0001-01-01", "0001-01-01 is before 1900-01-01."),
        ("1899-12-31", "1899-12-31 is before 1900-01-01."),
        ("9999-12-31", "9999-12-31 is after the screening date 2025-03-14."),
        (ARABIC_DATE, f"Expected a date as YYYY-MM-DD, got '{ARABIC_DATE}'."),
    ],
)
def test_an_onset_date_no_person_could_mean_is_a_form_error(desk_client, draft, typed, message):
    response = desk_client.post(
        f"/intakes/{draft.pk}/", {"_version": "3", "symptom_onset_date": typed}
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"symptom_onset_date": [message]}
    assert Intake.objects.get(pk=draft.pk).answers == draft.answers


def test_the_earliest_date_is_accepted(desk_client, draft):
    response = desk_client.post(
        f"/intakes/{draft.pk}/", {"_version": "3", "symptom_onset_date": "1900-01-01"}
    )
    assert response.status_code == 302
    assert Intake.objects.get(pk=draft.pk).answers["symptom_onset_date"] == "1900-01-01"


def test_the_date_input_says_its_range(desk_client, draft):
    page = desk_client.get(f"/intakes/{draft.pk}/").content.decode()
    assert 'min="1900-01-01"' in page
    assert 'max="2025-03-14"' in page


def test_the_engine_bounds_dates_without_settings():
    """The bound is an engine constant, or an argument; never a Django setting."""
    spec = default_spec()
    assert datetime.date(1900, 1, 1) == engine.EARLIEST_DATE
    with pytest.raises(engine.AnswerError) as caught:
        engine.parse_answers(spec, {"advanced_imaging_date": "0001-01-01"}, AS_OF)
    assert (caught.value.field, caught.value.message) == (
        "answers.advanced_imaging_date",
        "0001-01-01 is before 1900-01-01",
    )
    earlier = {"symptom_onset_date": "1850-06-01"}
    assert engine.parse_answers(spec, earlier, AS_OF, earliest=datetime.date(1800, 1, 1)) == {
        "symptom_onset_date": datetime.date(1850, 6, 1)
    }


def test_screen_reports_a_date_before_the_earliest_on_its_answer(default_set, tmp_path: Path):
    path = tmp_path / "cases.json"
    path.write_text(
        json.dumps(
            [
                {
                    "procedure": "vertebroplasty",
                    "as_of": "2025-03-14",
                    "answers": {"symptom_onset_date": "0001-01-01"},
                },
                {"procedure": "vertebroplasty", "as_of": "2025-03-14", "answers": {}},
            ]
        )
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("screen", str(path), stdout=out, stderr=err)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert (exited.value.code, err.getvalue()) == (2, "")
    assert lines[0] == {
        "error": "0001-01-01 is before 1900-01-01",
        "field": "answers.symptom_onset_date",
    }
    assert lines[1]["outcome"] == "needs_info"


# ------------------------------------------------------- 8. a field the POST lacks is kept


def test_a_draft_post_that_lacks_a_field_keeps_its_answer(desk_client, draft):
    """Only the fields posted change: pain and INR are kept, the onset date changes."""
    response = desk_client.post(
        f"/intakes/{draft.pk}/", {"_version": "3", "symptom_onset_date": "2025-03-01"}
    )
    assert response.status_code == 302
    assert Intake.objects.get(pk=draft.pk).answers == {
        "pain_nrs": 7,
        "inr": 1.2,
        "symptom_onset_date": "2025-03-01",
    }


def test_an_explicit_empty_value_clears_the_answer(desk_client, draft):
    response = desk_client.post(f"/intakes/{draft.pk}/", {"_version": "3", "pain_nrs": ""})
    assert response.status_code == 302
    assert Intake.objects.get(pk=draft.pk).answers == {
        "inr": 1.2,
        "symptom_onset_date": "2025-02-28",
    }


def test_a_submit_that_lacks_a_field_screens_the_stored_answer(desk_client, draft):
    response = desk_client.post(
        f"/intakes/{draft.pk}/", {"_version": "3", "_action": "submit", "hospitalized": "true"}
    )
    intake = Intake.objects.get(pk=draft.pk)
    assert (response.status_code, intake.status) == (302, IntakeStatus.SUBMITTED)
    assert intake.answers == {
        "pain_nrs": 7,
        "inr": 1.2,
        "symptom_onset_date": "2025-02-28",
        "hospitalized": True,
    }


def test_an_edit_that_lacks_a_field_keeps_its_answer(desk_client, default_set):
    intake = submitted_intake(answers={"pain_nrs": 7, "hospitalized": True})
    response = desk_client.post(
        f"/intakes/{intake.pk}/edit/",
        {"_version": str(intake.version), "_reason": "MRI report", "hospitalized": "false"},
    )
    assert response.status_code == 302
    assert Intake.objects.get(pk=intake.pk).answers == {"pain_nrs": 7, "hospitalized": False}


def test_the_panel_shows_a_stored_answer_the_post_lacks(desk_client, draft):
    """The live panel evaluates the stored pain score when the POST does not carry it."""
    lacking = desk_client.post(f"/intakes/{draft.pk}/panel/", {"_version": "3"})
    cleared = desk_client.post(f"/intakes/{draft.pk}/panel/", {"_version": "3", "pain_nrs": ""})
    assert "pain_nrs" not in [line.code for line in lacking.context["summary"].missing]
    assert "pain_nrs" in [line.code for line in cleared.context["summary"].missing]


class _FormControls(HTMLParser):
    """What a browser posts from the intake form: every named control's value (checked radios
    only, a select's selected option, else its first)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.radios: set[str] = set()
        self._form = self._select = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if (
            tag == "form"
            and a.get("method", "").lower() == "post"
            and "intake-form" in (a.get("id", "") + a.get("class", ""))
        ):
            self._form = True
        if not self._form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind == "radio":
                self.radios.add(name)
                if "checked" in a:
                    self.values[name] = a.get("value", "")
            elif kind not in ("submit", "button", "checkbox"):
                self.values[name] = a.get("value", "") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if self._select not in self.values or "selected" in a:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def test_the_real_page_posts_every_question_so_saving_it_keeps_working(desk_client, draft):
    """Every radio group of the page has one checked (Not answered posts ""), so the form as
    a browser sends it carries each question; changing one answer and clearing another saves
    exactly that."""
    page = desk_client.get(f"/intakes/{draft.pk}/").content.decode()
    controls = _FormControls()
    controls.feed(page)
    asked = [q.code for q in default_spec().questions if not q.filled_by_app]
    assert sorted(code for code in asked if code not in controls.values) == []
    assert controls.radios <= set(controls.values)  # each radio group posts a value
    assert (controls.values["hospitalized"], controls.values["pain_nrs"]) == ("", "7")
    data = controls.values | {"hospitalized": "true", "inr": ""}
    response = desk_client.post(f"/intakes/{draft.pk}/", data)
    assert response.status_code == 302
    assert Intake.objects.get(pk=draft.pk).answers == {
        "pain_nrs": 7,
        "symptom_onset_date": "2025-02-28",
        "hospitalized": True,
    }
