"""Hypothesis posts to every form: never a server error, and nothing already saved changes on
a rejected request.

Each form starts from the POST its page sends (so some examples are saved), with some fields
changed to plausible or hostile values, some left out and some sent twice. Runs are bounded and
derandomized (the same examples every time, no example database), and every example runs in a
savepoint rolled back afterwards, so each starts from the same rows. The rows of every intake
and screener table are compared before and after (the audit log is left out: it records
rejected requests too, by design). "Rejected" is any 4xx, a form shown again (200 to a POST) or
a redirect with an error message. Each run starts with explicit requests, one the form accepts
and one it refuses, and checks it saw both: a harness that never reached a form's save, or
never saw a refusal, would fail instead of passing unnoticed.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django import forms
from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from intake.forms.intake_form import to_text
from intake.models import AnswerEntry, Decision, Intake, IntakeStatus
from intake.outcomes import emergency_label
from intake.services.accounts import roles_ensure
from screener.models import GoldenCase
from screener.services import criteria_set_clone
from tests.criteria_data import default_spec
from tests.factories import (
    CriteriaAdminFactory,
    FrontDeskFactory,
    IntakeFactory,
    PatientFactory,
    PhysicianFactory,
)
from tests.intake.review.factories import submitted_intake

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2025, 3, 14, 12, 0, tzinfo=datetime.UTC)

FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def frozen():
    """The clock stands still: dates are stable and no session times out between examples."""
    with time_machine.travel(NOON, tick=False):
        yield


# ------------------------------------------------------------------------------ values

# What fuzzing found, and what a person or a tampered page could send.
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "+5",
    "1_0",
    "٣",
    "²",
    "\U0001d7d8",  # a mathematical digit zero
    "1e1",
    "1e400",
    "inf",
    "NaN",
    "0x10",
    "9" * 5000,
    "9" * 19,
    "\x00",
    "a\x00b",
    "0001-01-01",
    "1899-12-31",
    "9999-12-31",
    "2025-02-30",
    "2025-03-14T25:61",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    "[" * 50,
    '{"a": ' * 30,
    "<script>alert(1)</script>",
    "{{ request.user.password }}",
    "{% if %}",
    "review:queue",
    "//evil.example/x",
    "/review/",
    "javascript:alert(1)",
    "\u202e\u200b",
    "x" * 3000,
    "é" * 200,
]

text_values = st.one_of(
    st.sampled_from(NASTY),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40),
    st.integers().map(str),
    st.dates().map(datetime.date.isoformat),
)
# A field is posted once or several times (or, below, not at all).
field_values = st.one_of(text_values, st.lists(text_values, min_size=2, max_size=3))


def posts(
    base: dict[str, Any], fields: dict[str, st.SearchStrategy] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """The page's own POST with some fields changed (to a plausible value from ``fields``, or
    to anything), some left out; the first example is the page's POST itself."""
    fields = fields or {}
    keys = sorted(set(base) | set(fields))
    # The fields named in ``fields`` are changed more often, mostly to their own values.
    pool = keys + sorted(fields) * 3

    def value(key: str) -> st.SearchStrategy:
        if key not in fields:
            return field_values
        return st.one_of(fields[key], fields[key], field_values)

    changes = st.lists(
        st.sampled_from(pool).flatmap(lambda key: st.tuples(st.just(key), value(key))),
        max_size=6,
    ).map(dict)
    dropped = st.sets(st.sampled_from(keys), max_size=3)
    return st.tuples(changes, dropped).map(
        lambda change: {
            key: item
            for key, item in {**base, **change[0]}.items()
            if key not in change[1] or key in change[0]
        }
    )


def answer_values(question) -> st.SearchStrategy[str]:
    """Plausible text for a question of the intake form, by its type."""
    kind = question.type
    if kind == "bool":
        return st.sampled_from(["true", "false", ""])
    if kind == "int":
        return st.integers(-5, 2100).map(str)
    if kind == "decimal":
        return st.decimals(-1, 20, places=2, allow_nan=False, allow_infinity=False).map(str)
    if kind == "choice":
        return st.sampled_from([*question.choices, ""])
    return st.dates(datetime.date(1890, 1, 1), datetime.date(2030, 12, 31)).map(
        datetime.date.isoformat
    )


ASKED = [q for q in default_spec().questions if q.code != "age_years"]


# ------------------------------------------------------------------------------ rows


def _tables() -> list:
    """Every intake and screener table but the audit log (it records rejected requests)."""
    return [
        model
        for app in ("intake", "screener")
        for model in apps.get_app_config(app).get_models()
        if "audit" not in model.__name__.lower()
    ]


def snapshot() -> dict[str, list[tuple]]:
    """Every row of those tables, read with plain SQL (fast enough for two reads an example)."""
    rows = {}
    with connection.cursor() as cursor:
        for model in _tables():
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
            rows[model._meta.label] = cursor.fetchall()
    return rows


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def error_messages(response) -> list[str]:
    """The error messages of a response, but the emergency one: a saved intake that screens to
    an emergency is announced in red, as an error, by design."""
    return [
        str(m)
        for m in get_messages(response.wsgi_request)
        if m.level >= message_levels.ERROR and not str(m).startswith(emergency_label())
    ]


def forget_messages(client: Client) -> None:
    """Drop messages a redirect of an earlier example left unread in the cookie (messages kept
    in the session are rolled back with the example), so each example reads only its own."""
    client.cookies.pop("messages", None)


def rejected(response) -> bool:
    if response.status_code >= 400:
        return True
    if response.status_code == 200 and response.wsgi_request.method == "POST":
        return True  # the form shown again with its errors (or a page that saves nothing)
    return response.status_code == 302 and bool(error_messages(response))


def _consume(response) -> None:
    """Read a streamed body: an export fails while streaming, after its status is sent."""
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)


SAVED, REFUSED, UNCHANGED = "saved", "refused", "unchanged"


def both_ways(seen: set[str]) -> bool:
    """The run refused some requests and accepted others (saved, or valid with no change)."""
    return REFUSED in seen and bool(seen & {SAVED, UNCHANGED})


def exchange(
    client: Client,
    method: str,
    url: str,
    data: dict[str, Any],
    *,
    writes: bool = True,
    check: Callable[[Any], None] | None = None,
) -> str:
    """One request in a savepoint rolled back afterwards: no server error, and a rejected
    request (or one that never writes) leaves every row as it was. Says what happened."""
    with transaction.atomic():
        before = snapshot()
        forget_messages(client)
        response = getattr(client, method)(url, data)
        _consume(response)
        assert response.status_code < 500, f"{response.status_code} on {method} {url}"
        changed = changed_tables(before, snapshot())
        refused = rejected(response)
        if refused or not writes:
            assert changed == [], f"{response.status_code}: rows changed in {changed}"
        if check is not None:
            check(response)
        transaction.set_rollback(True)
    return REFUSED if refused else SAVED if changed else UNCHANGED


def fuzz(
    client: Client,
    method: str,
    url: str,
    strategy: st.SearchStrategy,
    *,
    explicit: Sequence[dict[str, Any]] = (),
    examples: int = 50,
    **options: Any,
) -> set[str]:
    """Run ``exchange`` on the ``explicit`` requests (one accepted and one refused, so both
    paths run whatever is generated), then on ``examples`` generated ones; the outcomes seen."""
    seen: set[str] = set()

    def run(data: dict[str, Any]) -> None:
        seen.add(exchange(client, method, url, data, **options))

    hypothesis_run(run, strategy, explicit, examples)
    return seen


def hypothesis_run(
    run: Callable[[dict[str, Any]], None],
    strategy: st.SearchStrategy,
    explicit: Sequence[dict[str, Any]],
    examples: int,
) -> None:
    for data in reversed(explicit):
        run = example(data)(run)
    settings(FUZZ, max_examples=examples)(given(strategy)(run))()


# ------------------------------------------------------------------------------ world


def client_of(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def world(default_set):
    """Users of each role, patients, a draft, a submitted, a decided and an emergency intake,
    and a draft criteria set with its golden cases."""
    roles_ensure()
    desk, doc, cadmin = FrontDeskFactory(), PhysicianFactory(), CriteriaAdminFactory()
    patient = PatientFactory(first_name="Ada", last_name="Byron")
    draft = IntakeFactory(
        patient=patient, answers={"pain_nrs": 7, "symptom_onset_date": "2025-02-28"}, version=2
    )
    decided = submitted_intake(outcome="candidate")
    clients = {"desk": client_of(desk), "doc": client_of(doc), "admin": client_of(cadmin)}
    signed = clients["doc"].post(
        reverse("review:decide", args=[decided.pk]),
        {"kind": "proceed", "screening": decided.latest_screening_id},
    )
    assert signed.status_code == 302
    criteria_draft = criteria_set_clone(criteria_set=default_set)
    return {
        **clients,
        "users": {"desk": desk, "doc": doc, "admin": cadmin},
        "patient": patient,
        "other_patient": PatientFactory(first_name="Eve", last_name="Smith"),
        "draft": draft,
        "submitted": submitted_intake(outcome="candidate"),
        "decided": decided,
        "decision": Decision.objects.get(intake=decided),
        "emergency": submitted_intake(outcome="emergency"),
        "default_set": default_set,
        "criteria_draft": criteria_draft,
        "golden": criteria_draft.goldencase_set.order_by("order").first(),
    }


def test_the_world_is_as_the_fuzz_tests_expect(world):
    """The fuzz tests below post against these rows; they would prove little against others."""
    assert [world[name].status for name in ("draft", "submitted", "decided")] == [
        IntakeStatus.DRAFT,
        IntakeStatus.SUBMITTED,
        IntakeStatus.SUBMITTED,
    ]
    assert Intake.objects.get(pk=world["decided"].pk).status == IntakeStatus.DECIDED
    assert world["emergency"].latest_screening.emergency is True
    assert (world["criteria_draft"].status, world["golden"].criteria_set) == (
        "draft",
        world["criteria_draft"],
    )


# ------------------------------------------------------------------------------ patients

PATIENT = {
    "mrn": "MRN-F-1",
    "first_name": "Ann",
    "last_name": "Lee",
    "date_of_birth": "1950-02-03",
    "sex": "female",
    "phone": "555-0100",
    "insurance_payer": "Medicare",
    "insurance_member_id": "A1",
    "referring_physician": "Dr Who",
    "confirmed_distinct_from": "",
}
PATIENT_FIELDS = {
    "mrn": st.sampled_from(["MRN-F-2", ""]),
    "first_name": st.sampled_from(["Ada", "Eve", ""]),
    "last_name": st.sampled_from(["Byron", "Smith", ""]),
    "date_of_birth": st.sampled_from(["02/03/1950", "1879-12-31", "2030-01-01"]),
    "sex": st.sampled_from(["male", "other", "unknown", ""]),
    "confirmed_distinct_from": st.sampled_from(["1", "1,2", "²", "9" * 5000, "-1", "1e3"]),
}


def test_patient_registration_fuzz(world):
    url = reverse("intake:patient-create")
    explicit = [PATIENT, PATIENT | {"confirmed_distinct_from": "²"}]
    seen = fuzz(world["desk"], "post", url, posts(PATIENT, PATIENT_FIELDS), explicit=explicit)
    assert both_ways(seen)


def test_patient_edit_fuzz(world):
    patient = world["patient"]
    base = PATIENT | {"mrn": patient.mrn, "first_name": "Ada", "last_name": "Byron"}
    url = reverse("intake:patient-edit", args=[patient.pk])
    explicit = [base, base | {"confirmed_distinct_from": "9" * 5000}]
    assert both_ways(
        fuzz(world["desk"], "post", url, posts(base, PATIENT_FIELDS), explicit=explicit)
    )


def test_patient_search_fuzz(world):
    """The search is kept in the session: it never writes a row."""
    url = reverse("intake:patient-list")
    fuzz(world["desk"], "post", url, posts({"q": "Ada"}, {"clear": st.just("")}), writes=False)


def test_intake_start_fuzz(world):
    base = {
        "patient": str(world["other_patient"].pk),
        "procedure": str(world["default_set"].procedure_id),
    }
    fields = {"patient": st.sampled_from([str(world["patient"].pk), "0", "abc", "9" * 30])}
    url = reverse("intake:intake-start")
    explicit = [base, base | {"patient": "abc"}]
    assert both_ways(fuzz(world["desk"], "post", url, posts(base, fields), explicit=explicit))


# ------------------------------------------------------------------------------ the intake form


def form_of(intake: Intake, **extra: str) -> dict[str, str]:
    """The intake form as a browser posts it: every question ("" when unanswered)."""
    answers = {q.code: to_text(intake.answers.get(q.code)) for q in ASKED}
    return answers | {"_version": str(intake.version)} | extra


ANSWER_FIELDS = {q.code: answer_values(q) for q in ASKED}
INTAKE_CONTROLS = {
    "_action": st.sampled_from(["save", "submit"]),
    "_version": st.sampled_from(["0", "1", "abc"]),  # stale or broken: nothing is saved
}
PARTLY_SAVED = "Draft saved with "  # the warning of a draft saved without its bad answers


def intake_exchange(client: Client, url: str, intake_id: int, data: dict[str, Any]) -> str:
    """A draft save may keep the valid answers and refuse the rest (400, with a warning): then
    only the intake's row changes, and the refused answers and those not posted keep their
    stored values. Any other rejected request changes nothing."""
    with transaction.atomic():
        before = snapshot()
        stored = Intake.objects.get(pk=intake_id).answers
        forget_messages(client)
        response = client.post(url, data)
        assert response.status_code < 500, f"{response.status_code} on POST {url}"
        changed = changed_tables(before, snapshot())
        answers = Intake.objects.get(pk=intake_id).answers
        shown = [str(m) for m in get_messages(response.wsgi_request)]
        partly_saved = any(message.startswith(PARTLY_SAVED) for message in shown)
        refused = rejected(response)
        if partly_saved:
            assert response.status_code == 400
            # The intake's row, and the provenance of each answer that changed.
            assert {t for t in changed if ".Historical" not in t} <= {
                Intake._meta.label,
                AnswerEntry._meta.label,
            }
            assert Intake._meta.label in changed
        elif refused:
            assert changed == [], f"{response.status_code}: rows changed in {changed}"
        form = (response.context or {}).get("form") if response.status_code == 400 else None
        errors = set(form.errors) if form is not None else set()
        for question in ASKED:
            if question.code not in data or question.code in errors:
                assert answers.get(question.code) == stored.get(question.code), question.code
        transaction.set_rollback(True)
    return "partly saved" if partly_saved else REFUSED if refused else SAVED


def intake_fuzz(
    client: Client, url: str, intake: Intake, base: dict[str, Any], explicit: list[dict]
) -> set[str]:
    seen: set[str] = set()

    def run(data: dict[str, Any]) -> None:
        seen.add(intake_exchange(client, url, intake.pk, data))

    # 30 examples: the whole checklist is the heaviest page.
    hypothesis_run(run, posts(base, ANSWER_FIELDS | INTAKE_CONTROLS), explicit, 30)
    return seen


def test_intake_draft_save_and_submit_fuzz(world):
    draft = world["draft"]
    url = reverse("intake:intake-detail", args=[draft.pk])
    base = form_of(draft, _action="save")
    explicit = [base, base | {"pain_nrs": "1_0"}, base | {"_version": "abc"}]
    seen = intake_fuzz(world["desk"], url, draft, base, explicit)
    assert seen >= {SAVED, "partly saved", REFUSED}


def test_intake_edit_fuzz(world):
    intake = world["submitted"]
    url = reverse("intake:intake-edit", args=[intake.pk])
    base = form_of(intake, _reason="MRI report")
    seen = intake_fuzz(world["desk"], url, intake, base, [base, base | {"_reason": ""}])
    assert both_ways(seen)


def test_intake_panel_fuzz(world):
    """The live panel evaluates what is typed and saves nothing."""
    draft = world["draft"]
    url = reverse("intake:intake-panel", args=[draft.pk])
    strategy = posts(form_of(draft), ANSWER_FIELDS)
    explicit = [form_of(draft) | {"pain_nrs": "٣", "symptom_onset_date": "0001-01-01"}]
    fuzz(world["desk"], "post", url, strategy, explicit=explicit, examples=30, writes=False)


# ------------------------------------------------------------------------------ review

DECISION_KINDS = st.sampled_from(["conservative", "refer", "request_info", "not_candidate"])
DATES = st.sampled_from(["2025-03-20", "2025-03-13", "9999-12-31", "0001-01-01", ""])
DECISION_FIELDS = {
    "kind": DECISION_KINDS,
    "refer_to": st.sampled_from(["spine surgery", ""]),
    "reason": st.sampled_from(["", "x" * 5000]),
    "planned_procedure_date": DATES,
    "screening": st.sampled_from(["0", "9" * 30]),
}


def test_decide_fuzz(world):
    intake = world["submitted"]
    base = {"kind": "proceed", "screening": str(intake.latest_screening_id), "reason": "Fits"}
    url = reverse("review:decide", args=[intake.pk])
    explicit = [base, base | {"kind": "x"}]
    assert both_ways(
        fuzz(world["doc"], "post", url, posts(base, DECISION_FIELDS), explicit=explicit)
    )


def test_amend_fuzz(world):
    intake, decision = world["decided"], world["decision"]
    base = {
        "amend-kind": "conservative",
        "amend-reason": "The MRI shows a healed fracture.",
        "amend-screening": str(intake.latest_screening_id),
    }
    fields = {f"amend-{name}": strategy for name, strategy in DECISION_FIELDS.items()}
    url = reverse("review:amend", args=[intake.pk, decision.pk])
    explicit = [base, base | {"amend-reason": ""}]
    assert both_ways(fuzz(world["doc"], "post", url, posts(base, fields), explicit=explicit))


def test_follow_up_fuzz(world):
    url = reverse("review:follow-up", args=[world["decided"].pk])
    base = {"planned_procedure_date": "2025-03-20"}
    strategy = posts(base, {"planned_procedure_date": DATES})
    explicit = [base, {"planned_procedure_date": ""}]
    assert both_ways(fuzz(world["doc"], "post", url, strategy, explicit=explicit))


def test_assign_fuzz(world):
    doc = world["users"]["doc"]
    fields = {
        "assignee": st.sampled_from(["", "0", str(world["users"]["desk"].pk)]),
        "expected_assignee": st.sampled_from([str(doc.pk), "9" * 30]),
    }
    url = reverse("review:assign", args=[world["submitted"].pk])
    base = {"assignee": str(doc.pk), "expected_assignee": ""}
    explicit = [base, base | {"assignee": "0"}]
    assert both_ways(fuzz(world["doc"], "post", url, posts(base, fields), explicit=explicit))


def test_take_fuzz(world):
    url = reverse("review:take", args=[world["submitted"].pk])
    strategy = posts({"next": "/review/"}, {"next": st.sampled_from(["/review/?x=1", "abc"])})
    explicit = [{"next": "/review/"}, {"next": "abc"}]
    assert SAVED in fuzz(world["doc"], "post", url, strategy, explicit=explicit)


def test_emergency_action_fuzz(world):
    base = {
        "emergency-contacted": "oncall",
        "emergency-contact_name": "Dr Hale",
        "emergency-contacted_at": "2025-03-14T11:40",
        "emergency-note": "Sent to the ED.",
        "emergency-next": "result",
    }
    fields = {
        "emergency-contacted": st.sampled_from(["emergency_department", "patient_sent", "x"]),
        "emergency-contacted_at": st.sampled_from(
            ["2025-03-14 11:40", "2025-03-14T13:00", "9999-12-31T23:59", "0001-01-01T00:00"]
        ),
        "emergency-corrects": st.sampled_from(["1", "9" * 30]),
        "emergency-next": st.sampled_from(["case", ""]),
    }
    url = reverse("intake:emergency-action", args=[world["emergency"].pk])
    for who in ("desk", "doc"):
        explicit = [base, base | {"emergency-note": ""}]
        seen = fuzz(world[who], "post", url, posts(base, fields), explicit=explicit, examples=25)
        assert both_ways(seen)


QUEUE_FILTERS = {
    "outcome": st.sampled_from(["", "candidate", "urgent"]),
    "status": st.sampled_from(["", "submitted", "all", "decided"]),
    "procedure": st.sampled_from(["", "vertebroplasty"]),
    "submitted_from": DATES,
    "submitted_to": DATES,
    "assigned": st.sampled_from(["", "mine", "nobody"]),
    "page": st.sampled_from(["1", "2", "0", "-1", "last", "9" * 30]),
}


def test_queue_filters_and_export_fuzz(world):
    """The queue reads filters from the URL and never writes a row; the export (a POST with the
    queue's filters in its URL) starts an export and shows its page, or answers a 400 that names
    the bad filters and writes nothing."""
    statuses: set[int] = set()

    def started_or_400(response) -> None:
        statuses.add(response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/review/exports/")
        else:
            assert response.status_code == 400
            assert response["Content-Type"].startswith("text/plain")

    explicit = [{}, {"submitted_to": "9999-12-31"}]
    strategy = posts({}, QUEUE_FILTERS)
    fuzz(world["doc"], "get", reverse("review:queue"), strategy, explicit=explicit, writes=False)
    export = reverse("review:export")

    def run_export(data: dict[str, Any]) -> None:
        url = f"{export}?{urlencode(data, doseq=True)}"
        exchange(world["doc"], "post", url, {}, check=started_or_400)

    hypothesis_run(run_export, strategy, explicit, 50)
    assert statuses == {302, 400}


def test_queue_search_fuzz(world):
    url = reverse("review:queue")
    fuzz(world["doc"], "post", url, posts({"q": "Ada"}, {"clear": st.just("")}), writes=False)


# ------------------------------------------------------------------------------ criteria admin


def admin_form_data(client: Client, url: str) -> dict[str, Any]:
    """The POST a criteria admin's browser sends from a change page as it stands."""
    response = client.get(url)
    assert response.status_code == 200
    data: dict[str, Any] = {}

    def put(form, name: str) -> None:
        value, key = form[name].value(), form.add_prefix(name)
        if isinstance(value, bool):
            if value:
                data[key] = "on"
        elif isinstance(form.fields[name], forms.MultipleChoiceField):
            data[key] = list(value or [])  # checkboxes: one value each
        elif isinstance(value, list):
            data[key] = "\n".join(str(item) for item in value)
        else:
            data[key] = "" if value is None else str(value)

    form = response.context["adminform"].form
    for name in form.fields:
        put(form, name)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        data |= {
            f"{formset.prefix}-TOTAL_FORMS": str(formset.total_form_count()),
            f"{formset.prefix}-INITIAL_FORMS": str(formset.initial_form_count()),
            f"{formset.prefix}-MIN_NUM_FORMS": "0",
            f"{formset.prefix}-MAX_NUM_FORMS": "1000",
        }
        for row in formset.forms:
            for name in row.fields:
                put(row, name)
    return data


@pytest.mark.parametrize("part", ["parameters", "questions", "rules", "content"])
def test_admin_criteria_set_change_page_fuzz(world, part):
    """A draft's change page, each part: saved (302) or shown again with nothing stored."""
    client = world["admin"]
    url = reverse("admin:screener_criteriaset_change", args=[world["criteria_draft"].pk])
    url += f"?part={part}"
    base = admin_form_data(client, url)
    total = next(key for key in sorted(base) if key.endswith("-TOTAL_FORMS"))
    explicit = [base, base | {total: "9" * 5000}]
    # The whole set's rows are on this page: a bounded run keeps the suite fast.
    seen = fuzz(client, "post", url, posts(base), explicit=explicit, examples=15)
    assert both_ways(seen)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
GOLDEN_ANSWERS = st.one_of(
    st.dictionaries(
        st.sampled_from([q.code for q in ASKED] + ["unknown_code"]), json_values, max_size=5
    ).map(json.dumps),
    json_values.map(json.dumps),
    st.sampled_from(
        [
            "",
            "[" * 5000,
            '{"pain_nrs": ' + "9" * 5000 + "}",
            '{"fracture_level": "\\ud800"}',
            '{"a": "\\u0000"}',
            '{"pain_nrs": NaN}',
            '{"pain_nrs": 1e999}',
        ]
    ),
)


def golden_fields(case: GoldenCase) -> dict[str, st.SearchStrategy]:
    return {
        "order": st.sampled_from(["-1", "9" * 30]),
        "name": st.sampled_from(["another case", ""]),
        "as_of": st.sampled_from(["0001-01-01", "9999-12-31"]),
        "answers": GOLDEN_ANSWERS,
        "expected_outcome": st.sampled_from(["candidate", "x"]),
        "expected_holding": st.sampled_from(["x\x00", "pw_inpatient"]),
        "check_missing": st.sampled_from(["on", ""]),
        "expected_missing": st.sampled_from(["", "pain_nrs"]),
    }


def test_admin_golden_case_form_fuzz(world):
    case = world["golden"]
    url = reverse("admin:screener_goldencase_change", args=[case.pk]) + "?answers=json"
    base = admin_form_data(world["admin"], url)
    explicit = [base, base | {"answers": ""}]
    seen = fuzz(world["admin"], "post", url, posts(base, golden_fields(case)), explicit=explicit)
    assert both_ways(seen)


def test_admin_golden_case_add_fuzz(world):
    case = world["golden"]
    change = reverse("admin:screener_goldencase_change", args=[case.pk]) + "?answers=json"
    base = admin_form_data(world["admin"], change) | {
        "criteria_set": str(world["criteria_draft"].pk),
        "name": "a-new-case",
    }
    fields = golden_fields(case) | {"criteria_set": st.sampled_from(["abc", "1e3", "9" * 30])}
    url = reverse("admin:screener_goldencase_add") + "?answers=json"
    explicit = [base, base | {"answers": "[" * 5000}]
    assert both_ways(fuzz(world["admin"], "post", url, posts(base, fields), explicit=explicit))


def test_admin_impact_preview_form_fuzz(world):
    """The preview reads (up to 500 intakes in the request) or queues a job (more)."""
    url = reverse("admin:screener_criteriaset_impact", args=[world["criteria_draft"].pk])
    fields = {"limit": st.sampled_from(["1", "500", "501", "0", "1000001"])}
    explicit = [{"limit": "501"}, {"limit": "0"}]
    assert both_ways(
        fuzz(world["admin"], "post", url, posts({"limit": "10"}, fields), explicit=explicit)
    )
