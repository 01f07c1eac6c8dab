"""Patient pages: list and search, register, detail (the patient's intakes), edit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from intake.forms.patients import PatientForm, PatientSearchForm
from intake.models import AuditAction, AuditOutcome, Patient
from intake.names import names_swapped
from intake.permissions import role_required
from intake.roles import AUTHORIZATION, FRONT_DESK, PHYSICIAN, has_role
from intake.selectors import intakes as intake_selectors
from intake.selectors import patient_history as patient_history_selectors
from intake.selectors import patients as patient_selectors
from intake.selectors.pagination import BoundedCountPaginator
from intake.services import audit
from intake.services import patients as patient_services

PAGE_SIZE = 25
# Search terms are patient data: kept in the session, never in a URL or a log line.
SEARCH_SESSION_KEY = "intake.patient_search"


def _patient_or_404(patient_id: int) -> Patient:
    patient = patient_selectors.patient_get(patient_id=patient_id)
    if patient is None:
        raise Http404("No such patient.")
    return patient


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(FRONT_DESK, PHYSICIAN, AUTHORIZATION)
def patient_list(request: HttpRequest) -> HttpResponse:
    """GET lists (filtered by the term kept in the session); POST sets or clears the term."""
    if request.method == "POST":
        form = PatientSearchForm(request.POST)
        term = form.cleaned_data["q"].strip() if form.is_valid() else ""
        if "clear" in request.POST or not term:
            request.session.pop(SEARCH_SESSION_KEY, None)
        else:
            request.session[SEARCH_SESSION_KEY] = term
        return redirect("intake:patient-list")
    term = request.session.get(SEARCH_SESSION_KEY, "")
    page = BoundedCountPaginator(
        patient_selectors.patient_list_ids(search=term), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    patients = patient_selectors.patient_page(search=term, page_ids=page.object_list)
    response = render(
        request,
        "intake/patient_list.html",
        {
            "page_obj": page,
            "patients": patients,
            "search_form": PatientSearchForm(initial={"q": term}),
            "search_term": term,
            "can_edit": has_role(request.user, FRONT_DESK),
        },
    )
    audit.audit_record(
        action=AuditAction.LIST,
        request=request,
        part="patient list",
        patients_shown=[patient.pk for patient in patients],
        detail=f"page {page.number}" + (", searched" if term else ""),
    )
    return response


class LikelyMatch(NamedTuple):
    patient: Patient
    # Born on the entered date with day and month swapped, or named with first and last name
    # the other way round: the page says why it was offered.
    dob_swapped: bool
    names_swapped: bool


def _likely_matches(matches: list[Patient], entered: Mapping[str, Any]) -> list[LikelyMatch]:
    """Each match with what differs from the entered name and date of birth (the form's
    cleaned data)."""
    swapped = patient_selectors.day_month_swapped(entered["date_of_birth"])
    return [
        LikelyMatch(
            patient,
            dob_swapped=swapped is not None and patient.date_of_birth == swapped,
            names_swapped=names_swapped(
                entered["first_name"], entered["last_name"], patient.first_name, patient.last_name
            ),
        )
        for patient in matches
    ]


def _save_patient(
    request: HttpRequest, form: PatientForm, patient: Patient | None
) -> tuple[Patient | None, dict]:
    """Run the create/update service; on refusal, return what the page must show instead."""
    try:
        if patient is None:
            saved = patient_services.patient_create(
                data=form.patient_data(),
                user=request.user,
                confirmed_distinct_from=form.cleaned_data["confirmed_distinct_from"],
            )
        else:
            saved = patient_services.patient_update(
                patient=patient,
                data=form.patient_data(),
                user=request.user,
                confirmed_distinct_from=form.cleaned_data["confirmed_distinct_from"],
            )
    except patient_services.DuplicateMRN as exc:
        form.add_error("mrn", exc.error_dict["mrn"])
        return None, {"mrn_owner": exc.existing}
    except patient_services.PossibleDuplicates as exc:
        rows = _likely_matches(exc.matches, form.cleaned_data)
        return None, {
            "matches": exc.matches,
            "match_rows": rows,
            "any_dob_swapped": any(row.dob_swapped for row in rows),
            "match_ids": ",".join(str(p.pk) for p in exc.matches),
        }
    except ValidationError as exc:
        form.add_error(None, exc)
        return None, {}
    return saved, {}


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(FRONT_DESK)
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    extra: dict = {}
    if request.method == "POST" and form.is_valid():
        patient, extra = _save_patient(request, form, None)
        if patient is not None:
            audit.audit_record(
                action=AuditAction.CREATE,
                request=request,
                patient=patient,
                obj=patient,
                part="details",
                changes=audit.field_changes({}, audit.patient_snapshot(patient)),
            )
            messages.success(
                request, f"Patient {patient.full_name} registered (MRN {patient.mrn})."
            )
            return redirect("intake:patient-detail", patient_id=patient.pk)
        if _patients_shown(extra):
            # Refused as a duplicate: the page shows the other patients it matched.
            audit.audit_record(
                action=AuditAction.CREATE,
                request=request,
                part="details",
                outcome=AuditOutcome.FAILED,
                patients_shown=_patients_shown(extra),
                detail="refused: duplicate",
            )
    return render(request, "intake/patient_form.html", {"form": form, "patient": None, **extra})


def _patients_shown(extra: dict) -> list[int]:
    """The other patients a refused registration or edit shows (the MRN's owner, matches)."""
    shown = [patient.pk for patient in extra.get("matches", ())]
    if extra.get("mrn_owner") is not None:
        shown.append(extra["mrn_owner"].pk)
    return shown


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(FRONT_DESK)
def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(patient_id)
    before = audit.patient_snapshot(patient)  # the form writes its input onto the instance
    form = PatientForm(request.POST or None, instance=patient)
    extra: dict = {}
    if request.method == "POST" and form.is_valid():
        saved, extra = _save_patient(request, form, patient)
        if saved is not None:
            audit.audit_record(
                action=AuditAction.CHANGE,
                request=request,
                patient=saved,
                obj=saved,
                part="details",
                changes=audit.field_changes(before, audit.patient_snapshot(saved)),
            )
            messages.success(request, f"Details of {saved.full_name} saved.")
            return redirect("intake:patient-detail", patient_id=saved.pk)
    # The form's instance now carries unsaved edits: show the stored name in the heading.
    stored = _patient_or_404(patient_id)
    response = render(
        request, "intake/patient_form.html", {"form": form, "patient": stored, **extra}
    )
    posted = request.method == "POST"
    audit.audit_record(
        action=AuditAction.CHANGE if posted else AuditAction.VIEW,
        request=request,
        patient=stored,
        obj=stored,
        part="details",
        outcome=AuditOutcome.FAILED if posted else AuditOutcome.OK,
        patients_shown=_patients_shown(extra),
        detail="nothing saved" if posted else "edit form",
    )
    return response


@never_cache
@require_GET
@role_required(FRONT_DESK, PHYSICIAN, AUTHORIZATION)
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(patient_id)
    response = render(
        request,
        "intake/patient_detail.html",
        {
            "patient": patient,
            "intakes": [
                (intake, intake_selectors.case_status(intake))
                for intake in intake_selectors.intakes_of_patient(patient=patient)
            ],
            "procedures": list(intake_selectors.procedures_open_for_intake()),
            "can_edit": has_role(request.user, FRONT_DESK),
            "history": patient_history_selectors.patient_change_history(patient=patient),
        },
    )
    audit.audit_record(
        action=AuditAction.VIEW, request=request, patient=patient, obj=patient, part="patient page"
    )
    return response
