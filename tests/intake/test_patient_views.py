"""Patient pages as the front desk uses them; physicians read; search terms stay out of URLs."""

from __future__ import annotations

import datetime
import re

import pytest

from intake.models import Patient
from intake.selectors import pagination
from intake.selectors import patients as patient_selectors
from tests.factories import (
    CriteriaAdminFactory,
    FrontDeskFactory,
    IntakeFactory,
    PatientFactory,
    PhysicianFactory,
)
from tests.plans import plan_when_indexes_are_all_it_has

pytestmark = pytest.mark.django_db

BORN = datetime.date(1947, 5, 2)


@pytest.fixture
def desk_client(client):
    client.force_login(FrontDeskFactory())
    return client


def new_patient(**overrides) -> dict:
    values = {
        "mrn": "A-1001",
        "first_name": "Maria",
        "last_name": "Garcia Lopez",
        "date_of_birth": "1947-05-02",
        "sex": "female",
        "phone": "555 0100",
        "insurance_payer": "Medicare",
        "insurance_member_id": "1EG4",
        "referring_physician": "Dr Osei",
    }
    values.update(overrides)
    return values


def hrefs(response) -> list[str]:
    return re.findall(r'(?:href|action)="([^"]*)"', response.content.decode())


# ------------------------------------------------------------------------------- list, search


def test_list_shows_patients_in_name_order_with_their_intake_count(desk_client, default_set):
    zed = PatientFactory(first_name="Zed", last_name="Young")
    PatientFactory(first_name="Abe", last_name="Adams")
    IntakeFactory(patient=zed)
    response = desk_client.get("/patients/")
    assert response.status_code == 200
    names = [p.last_name for p in response.context["patients"]]
    assert names == ["Adams", "Young"]
    assert [p.intake_count for p in response.context["patients"]] == [0, 1]
    assert "Register a patient" in response.content.decode()


def test_empty_list_invites_to_register(desk_client):
    response = desk_client.get("/patients/")
    assert "No patients yet." in response.content.decode()


def test_search_is_posted_kept_in_the_session_and_never_in_a_url(desk_client):
    PatientFactory(first_name="Zoë", last_name="O'Brien-Smith", mrn="MRN-77")
    PatientFactory(first_name="Abe", last_name="Adams")
    response = desk_client.post("/patients/", {"q": "obrien"})
    assert response.status_code == 302
    assert response["Location"] == "/patients/"
    assert desk_client.session["intake.patient_search"] == "obrien"
    page = desk_client.get("/patients/")
    assert [p.last_name for p in page.context["patients"]] == ["O'Brien-Smith"]
    assert not [url for url in hrefs(page) if "obrien" in url.lower()]
    assert "1 patient found" in page.content.decode()


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("zoe", ["Zoë"]),  # accents ignored
        ("O'BRIEN SMITH", ["Zoë"]),  # case, apostrophe and space ignored
        ("smith zoe", ["Zoë"]),  # words in any order
        ("mrn-77", ["Zoë"]),  # MRN, any case
        ("MRN-7", ["Zoë"]),  # the beginning of an MRN
        ("1951-07-30", ["Abe"]),  # date of birth, ISO
        ("07/30/1951", ["Abe"]),  # date of birth, as typed in the US
        ("nobody", []),
    ],
)
def test_search_by_name_mrn_or_date_of_birth(desk_client, term, found):
    PatientFactory(first_name="Zoë", last_name="O'Brien-Smith", mrn="MRN-77")
    PatientFactory(first_name="Abe", last_name="Adams", date_of_birth=datetime.date(1951, 7, 30))
    desk_client.post("/patients/", {"q": term})
    page = desk_client.get("/patients/")
    assert [p.first_name for p in page.context["patients"]] == found


def test_search_without_match_says_so_and_clear_shows_everyone(desk_client):
    PatientFactory(last_name="Adams")
    desk_client.post("/patients/", {"q": "nobody"})
    assert "No patient matches this search." in desk_client.get("/patients/").content.decode()
    desk_client.post("/patients/", {"q": "nobody", "clear": "1"})
    assert "intake.patient_search" not in desk_client.session
    assert len(desk_client.get("/patients/").context["patients"]) == 1


def test_list_is_paginated_by_25(desk_client):
    PatientFactory.create_batch(30)
    first = desk_client.get("/patients/")
    second = desk_client.get("/patients/?page=2")
    assert len(first.context["patients"]) == 25
    assert len(second.context["patients"]) == 5
    assert "Page 2 of 2" in second.content.decode()
    assert len(desk_client.get("/patients/?page=99").context["patients"]) == 5


def test_a_deep_page_lists_its_patients_in_name_order_with_their_intake_counts(
    desk_client, default_set
):
    for n in range(60):
        patient = PatientFactory(last_name=f"N{n:02d}", first_name="Ann")
        IntakeFactory.create_batch(n % 3, patient=patient)
    response = desk_client.get("/patients/?page=3")
    shown = response.context["patients"]
    assert [(p.last_name, p.intake_count) for p in shown] == [
        (f"N{n:02d}", n % 3) for n in range(50, 60)
    ]
    assert "60 patients, in name order." in response.content.decode()
    assert "Page 3 of 3" in response.content.decode()


@pytest.mark.parametrize(
    ("estimate", "count", "first_page"),
    [
        (1234, "About 1,234 patients", "Page 1 of about 50"),
        (0, "More than 3 patients", "Page 1"),  # no estimate (SQLite), or one too low
    ],
)
def test_a_long_list_says_about_how_many_patients_and_pages_on(
    desk_client, monkeypatch, estimate, count, first_page
):
    """Past the exact limit the count is the planner's estimate, or only "more than"."""
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 3)
    monkeypatch.setattr(pagination, "planner_estimate", lambda rows: estimate)
    PatientFactory.create_batch(30)
    body = desk_client.get("/patients/").content.decode()
    assert f"{count}, in name order." in body
    assert f">{first_page}</span>" in body
    assert 'href="?page=2"' in body  # a full page: a next one, even past the estimate
    second = desk_client.get("/patients/?page=2")
    assert len(second.context["patients"]) == 5
    assert ">Page 2" in second.content.decode()


# Session, user, roles; count, page, its intake counts; the audit row (savepoint, chain head,
# row, head moved on, savepoint released); the patient-reported red flags (every full staff page).
PATIENT_LIST_QUERIES = 3 + 3 + 5 + 1


@pytest.mark.parametrize("rows", [10, 200])
def test_the_list_takes_the_same_queries_for_10_or_200_patients(
    desk_client, default_set, django_assert_num_queries, rows
):
    for patient in PatientFactory.create_batch(rows):
        IntakeFactory(patient=patient)
    with django_assert_num_queries(PATIENT_LIST_QUERIES):
        first = desk_client.get("/patients/")
    with django_assert_num_queries(PATIENT_LIST_QUERIES):
        last = desk_client.get(f"/patients/?page={(rows + 24) // 25}")
    assert len(first.context["patients"]) == min(rows, 25)
    assert [p.intake_count for p in last.context["patients"]] == [1] * (rows % 25 or 25)


@pytest.mark.postgres_only
def test_a_page_of_the_list_is_read_from_the_name_index():
    PatientFactory.create_batch(3)
    plan = plan_when_indexes_are_all_it_has(patient_selectors.patient_list_ids()[50:75])
    assert "Index Only Scan using patient_name_order_idx" in plan
    assert "Sort" not in plan


# ------------------------------------------------------------------------------- register


def test_register_saves_and_says_what_was_saved(desk_client):
    response = desk_client.post("/patients/new/", new_patient(), follow=True)
    patient = Patient.objects.get()
    assert response.redirect_chain == [(f"/patients/{patient.pk}/", 302)]
    assert "Patient Maria Garcia Lopez registered (MRN A-1001)." in response.content.decode()
    assert patient.referring_physician == "Dr Osei"


def test_register_with_missing_fields_names_them_and_keeps_the_rest(desk_client):
    response = desk_client.post("/patients/new/", new_patient(first_name="", date_of_birth=""))
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"first_name", "date_of_birth"}
    assert 'value="Garcia Lopez"' in response.content.decode()
    assert Patient.objects.count() == 0


def test_date_of_birth_in_the_future_is_refused(desk_client):
    response = desk_client.post("/patients/new/", new_patient(date_of_birth="2999-01-01"))
    assert response.context["form"].errors["date_of_birth"] == [
        "The date of birth is in the future."
    ]


def test_known_mrn_is_refused_with_a_link_to_its_patient(desk_client):
    owner = PatientFactory(mrn="A-1001", first_name="Ann", last_name="Other")
    response = desk_client.post("/patients/new/", new_patient(mrn="a-1001"))
    body = response.content.decode()
    assert response.context["form"].errors["mrn"] == [
        "Another patient already has this medical record number."
    ]
    assert f'href="/patients/{owner.pk}/"' in body
    assert Patient.objects.count() == 1


def test_likely_duplicate_shows_matches_then_registers_when_confirmed(desk_client):
    existing = PatientFactory(first_name="Maria", last_name="Garcia Lopez", date_of_birth=BORN)
    response = desk_client.post("/patients/new/", new_patient(last_name="garcia-lopez"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "This may be a patient who is already registered" in body
    assert f'href="/patients/{existing.pk}/"' in body
    assert Patient.objects.count() == 1
    # The confirmation button posts the same answers with the ids of the matches shown.
    assert f'name="confirmed_distinct_from" value="{existing.pk}"' in body
    response = desk_client.post(
        "/patients/new/",
        new_patient(last_name="garcia-lopez", confirmed_distinct_from=str(existing.pk)),
    )
    assert response.status_code == 302
    assert Patient.objects.count() == 2


def test_likely_duplicate_born_the_same_day_shows_no_date_hint(desk_client):
    """A same-day match is listed with its date of birth and no "swapped" hint."""
    PatientFactory(first_name="Maria", last_name="Garcia Lopez", date_of_birth=BORN)
    response = desk_client.post("/patients/new/", new_patient(last_name="garcia-lopez"))
    body = response.content.decode()
    assert "1 patient with a similar name, born the same day. Open the record" in body
    assert "born 1947-05-02</li>" in body
    assert "day and month swapped" not in body


def test_swapped_names_with_a_typo_in_each_are_offered_as_a_duplicate(desk_client):
    """Registering first name "Garcia Lopes", last name "Mraia" offers Maria Garcia Lopez."""
    existing = PatientFactory(first_name="Maria", last_name="Garcia Lopez", date_of_birth=BORN)
    response = desk_client.post(
        "/patients/new/", new_patient(first_name="Garcia Lopes", last_name="Mraia")
    )
    body = response.content.decode()
    assert response.context["matches"] == [existing]
    assert f'href="/patients/{existing.pk}/"' in body
    assert Patient.objects.count() == 1


def test_first_and_last_name_swapped_is_offered_as_a_duplicate_with_the_reason(desk_client):
    """Names typed the other way round find the patient, and the page says what to check."""
    existing = PatientFactory(
        mrn="A-8", first_name="Edna", last_name="Holloway", date_of_birth=BORN
    )
    typed = new_patient(first_name="Holloway", last_name="Edna")
    body = desk_client.post("/patients/new/", typed).content.decode()
    assert (
        f'<a href="/patients/{existing.pk}/" target="_blank" rel="noopener">Holloway, Edna</a>, '
        "MRN A-8, born 1947-05-02: <strong>first and last name swapped?</strong> "
        "You entered first name Holloway, last name Edna.</li>"
    ) in body
    assert "day and month swapped" not in body


def test_a_typo_offered_as_a_duplicate_says_nothing_is_swapped(desk_client):
    PatientFactory(first_name="Edna", last_name="Holloway", date_of_birth=BORN)
    body = desk_client.post(
        "/patients/new/", new_patient(first_name="Edna", last_name="Hollowey")
    ).content.decode()
    assert "This may be a patient who is already registered" in body
    assert "swapped?" not in body


def test_day_and_month_swapped_is_offered_as_a_duplicate_with_the_reason(desk_client):
    """A date of birth typed the other way round finds the patient, and the page says why."""
    existing = PatientFactory(
        mrn="A-7", first_name="Helen", last_name="Novak", date_of_birth=datetime.date(1948, 7, 3)
    )
    typed = new_patient(first_name="Helen", last_name="Nowak", date_of_birth="1948-03-07")
    response = desk_client.post("/patients/new/", typed)
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["matches"] == [existing]
    assert (
        "1 patient with a similar name, born the same day or on the date with day and month "
        "swapped. Open the record"
    ) in body
    assert (
        f'<a href="/patients/{existing.pk}/" target="_blank" rel="noopener">Novak, Helen</a>, '
        "MRN A-7, born 1948-07-03: <strong>day and month swapped?</strong> "
        "You entered 1948-03-07.</li>"
    ) in body
    assert Patient.objects.count() == 1
    response = desk_client.post(
        "/patients/new/", {**typed, "confirmed_distinct_from": str(existing.pk)}
    )
    assert response.status_code == 302
    assert Patient.objects.get(mrn="A-1001").date_of_birth == datetime.date(1948, 3, 7)


# ------------------------------------------------------------------------------- detail, edit


def test_detail_lists_intakes_and_offers_to_start_one(desk_client, default_set):
    patient = PatientFactory()
    intake = IntakeFactory(patient=patient)
    body = desk_client.get(f"/patients/{patient.pk}/").content.decode()
    assert f'href="/intakes/{intake.pk}/"' in body
    assert 'action="/intakes/start/"' in body
    assert "Start a percutaneous vertebroplasty intake" in body


def test_detail_puts_the_link_into_each_intake_first_in_its_row(desk_client, default_set):
    """On a phone the intakes table scrolls sideways: its way in must not be the last column."""
    patient = PatientFactory()
    intake = IntakeFactory(patient=patient)
    body = desk_client.get(f"/patients/{patient.pk}/").content.decode()
    first_cell = re.search(r"<tbody>\s*<tr>\s*<td>(.*?)</td>", body, re.S)
    assert first_cell is not None
    assert first_cell.group(1).startswith(f'<a href="/intakes/{intake.pk}/">Continue<')


def test_edit_prefills_and_saves(desk_client):
    patient = PatientFactory(mrn="A-1", first_name="Ann", last_name="Lee", phone="1")
    form = desk_client.get(f"/patients/{patient.pk}/edit/")
    assert form.context["form"].initial["phone"] == "1"
    data = new_patient(mrn="A-1", first_name="Ann", last_name="Lee", phone="555 0199")
    response = desk_client.post(f"/patients/{patient.pk}/edit/", data, follow=True)
    assert "Details of Ann Lee saved." in response.content.decode()
    patient.refresh_from_db()
    assert (patient.phone, patient.first_name_key) == ("555 0199", "ann")


def test_unknown_patient_is_404(desk_client):
    assert desk_client.get("/patients/999999/").status_code == 404


# ------------------------------------------------------------------------------- permissions


def test_physician_reads_patients_but_cannot_register_or_edit(client, default_set):
    patient = PatientFactory()
    client.force_login(PhysicianFactory())
    listing = client.get("/patients/")
    assert listing.status_code == 200
    assert "Register a patient" not in listing.content.decode()
    detail = client.get(f"/patients/{patient.pk}/")
    assert detail.status_code == 200
    assert "Edit details" not in detail.content.decode()
    assert 'action="/intakes/start/"' not in detail.content.decode()
    assert client.get("/patients/new/").status_code == 403
    assert client.post("/patients/new/", new_patient()).status_code == 403
    assert client.get(f"/patients/{patient.pk}/edit/").status_code == 403
    assert Patient.objects.count() == 1


@pytest.mark.parametrize(
    "url", ["/patients/", "/patients/new/", "/patients/{id}/", "/patients/{id}/edit/"]
)
def test_patient_pages_need_login_and_a_role(client, url):
    patient = PatientFactory()
    url = url.format(id=patient.pk)
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    client.force_login(CriteriaAdminFactory())
    assert client.get(url).status_code == 403
