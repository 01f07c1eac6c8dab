"""Intake pages: start, the checklist form (drafts), its live panel, submit, result, edit.

``/intakes/<id>/`` is the form while the intake is a draft (or the physician asked for more
information) and the result once it is submitted. The screening date is today's local date,
passed to the services; nothing here reads answers or decides outcomes itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake.forms.emergencies import EmergencyActionForm
from intake.forms.intake_form import (
    CORRECTION_PREFIX,
    NOTE_FIELD,
    REASON_FIELD,
    VERSION_FIELD,
    IntakeForm,
    StartIntakeForm,
    to_text,
)
from intake.models import AuditAction, Intake, IntakeStatus
from intake.outcomes import emergency_label, outcome_label
from intake.patient_link.views import link_status
from intake.permissions import role_required
from intake.roles import AUTHORIZATION, FRONT_DESK, PHYSICIAN, has_role
from intake.selectors import documents as document_selectors
from intake.selectors import handouts, provenance
from intake.selectors import intakes as selectors
from intake.selectors.emergencies import emergency_actions
from intake.selectors.pagination import BoundedCountPaginator
from intake.services import audit
from intake.services import intakes as services
from screener import adapters

PAGE_SIZE = 25
FORM_STATUSES = (IntakeStatus.DRAFT, IntakeStatus.INFO_REQUESTED)


def _intake_or_404(intake_id: int) -> Intake:
    intake = selectors.intake_get(intake_id=intake_id)
    if intake is None:
        raise Http404("No such intake.")
    return intake


def _audit_answer_writes(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """POSTs that may save an intake's answers: one audit row after the view, with the answers
    that changed (or "failed" when nothing was saved), whichever way the view ended."""

    @wraps(view)
    def wrapped(request: HttpRequest, intake_id: int) -> HttpResponse:
        if request.method != "POST":
            return view(request, intake_id)
        before = audit.intake_answers_before(intake_id=intake_id)
        response = view(request, intake_id)
        if before is not None:
            audit.intake_answers_record(request=request, before=before)
        return response

    return wrapped


def _audit_view(request: HttpRequest, intake: Intake, part: str) -> None:
    audit.audit_record(
        action=AuditAction.VIEW, request=request, patient=intake.patient_id, obj=intake, part=part
    )


# --------------------------------------------------------------------------------------------
# Start


@require_POST
@role_required(FRONT_DESK)
def intake_start(request: HttpRequest) -> HttpResponse:
    form = StartIntakeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a patient and a procedure to start an intake.")
        return redirect("intake:patient-list")
    patient = form.cleaned_data["patient"]
    try:
        intake, created = services.intake_start(
            patient=patient, procedure=form.cleaned_data["procedure"], user=request.user
        )
    except services.IntakeRefused as exc:
        messages.error(request, exc.message)
        return redirect("intake:patient-detail", patient_id=patient.pk)
    if created:
        audit.audit_record(
            action=AuditAction.CREATE,
            request=request,
            patient=patient,
            obj=intake,
            part="intake",
            detail=f"criteria version {intake.criteria_set.version}",
        )
        messages.success(
            request,
            f"Intake started under criteria version {intake.criteria_set.version}. "
            "Save a draft at any time.",
        )
    else:
        messages.info(request, "This patient already has a draft for this procedure: here it is.")
    return redirect("intake:intake-detail", intake_id=intake.pk)


# --------------------------------------------------------------------------------------------
# The form


@dataclass
class Conflict:
    prompt: str
    theirs: str
    yours: str


def _build_form(
    intake: Intake,
    data: QueryDict | None,
    *,
    as_of,
    questions,
    ask_reason: bool = False,
    version: int | None = None,
) -> IntakeForm:
    compiled = adapters.compiled_criteria(intake.criteria_set)
    patient_rows = provenance.patient_answer_rows(
        intake=intake, prompts={q.code: q.prompt for q in questions}
    )
    return IntakeForm(
        data,
        questions=questions,
        spec=compiled.spec,
        as_of=as_of,
        answers=intake.answers,
        version=intake.version if version is None else version,
        ask_reason=ask_reason,
        ask_note=intake.status == IntakeStatus.INFO_REQUESTED and not ask_reason,
        patient_rows=patient_rows,
    )


def _answers_in_form(intake: Intake, form: IntakeForm) -> dict[str, Any]:
    """The answers as the form holds them now: valid ones typed, the rest blank; a field the
    POST lacks keeps its stored answer."""
    asked = {q.code for q in form.questions if q.code in form.data}
    answers = {code: value for code, value in intake.answers.items() if code not in asked}
    answers.update(
        {code: value for code, value in form.answer_changes().items() if value is not None}
    )
    return answers


def _collapsed(
    preview: selectors.Preview, answers: Mapping[str, Any], form: IntakeForm
) -> frozenset[str]:
    """The conditional questions shown collapsed: not needed now (the engine says), with no
    answer and nothing typed that needs correcting."""
    return preview.not_needed - set(answers) - set(form.errors)


def _conflicts(current: Intake, form: IntakeForm) -> list[Conflict]:
    """Answers where what the user typed differs from what someone else has saved since."""
    rows = []
    for question in form.questions:
        if question.code not in form.data:  # not posted: nothing of the user's to compare
            continue
        theirs = to_text(current.answers.get(question.code))
        yours = (form.data.get(question.code) or "").strip()
        if theirs != yours:
            rows.append(Conflict(question.prompt, theirs or "(blank)", yours or "(blank)"))
    return rows


def _with_version(data: QueryDict, version: int) -> QueryDict:
    data = data.copy()
    data[VERSION_FIELD] = str(version)
    return data


def _render_form(
    request: HttpRequest,
    intake: Intake,
    form: IntakeForm,
    *,
    questions,
    as_of,
    mode: str,
    conflicts: list[Conflict] | None = None,
    status: int = 200,
) -> HttpResponse:
    prompts = {q.code: q.prompt for q in questions}
    answers = _answers_in_form(intake, form) if form.is_bound else intake.answers
    preview = selectors.intake_preview(
        criteria_set=intake.criteria_set,
        answers=answers,
        as_of=as_of,
        patient=selectors.patient_record(intake.patient),
        prompts=prompts,
    )
    collapsed = _collapsed(preview, answers, form)
    form.mark_required(preview.required, collapsed=collapsed)
    info_request = (
        selectors.latest_info_request(intake=intake)
        if intake.status == IntakeStatus.INFO_REQUESTED
        else None
    )
    return render(
        request,
        "intake/intake_form.html",
        {
            "intake": intake,
            "patient": intake.patient,
            "form": form,
            "mode": mode,
            "summary": preview.summary,
            "required": sorted(preview.required),
            "collapsed": sorted(collapsed),
            "invalid": form.error_list() if form.is_bound else [],
            "conflicts": conflicts or [],
            "info_request": info_request,
            "as_of": as_of,
            "age": adapters.age_on(intake.patient.date_of_birth, as_of),
            "patient_answers": _patient_answer_rows(form),
            "patient_link": link_status(intake=intake) if mode != "edit" else {},
            "emergency_form": EmergencyActionForm(initial={"contacted_at": _now_minute()})
            if intake.emergency_open
            else None,
            "emergency_actions": emergency_actions(intake=intake) if intake.emergency_open else [],
            "emergency_text": emergency_label() if intake.emergency_open else "",
            "documents": None
            if mode == "edit"
            else document_selectors.document_rows(intake=intake, prompts=prompts),
        },
        status=status,
    )


def _patient_answer_rows(form: IntakeForm) -> list[dict[str, Any]]:
    """The patient's answers for the confirmation box, with what the user ticked or typed."""
    confirmed = set(form.confirmed_codes())
    reasons = form.correction_reasons()
    return [
        {
            "row": row,
            "answer": to_text(row.value),
            "checked": row.confirmed or row.code in confirmed,
            "reason": reasons.get(row.code, ""),
            "reason_name": f"{CORRECTION_PREFIX}{row.code}",
        }
        for row in form.patient_rows
    ]


def _conflict_response(
    request: HttpRequest,
    intake: Intake,
    form: IntakeForm,
    exc: services.IntakeRefused,
    *,
    questions,
    as_of,
    mode: str,
) -> HttpResponse:
    """The page for a write the service refused (nothing was saved), with its message: the
    result after a resend of a submitted intake; else the form again (409) with what was typed,
    the differences from a stale form listed, and an intake submitted meanwhile as an edit."""
    if isinstance(exc, services.AlreadySubmitted) and exc.resent:
        messages.info(request, exc.message)
        return redirect("intake:intake-detail", intake_id=intake.pk)
    messages.error(request, exc.message)
    if not isinstance(exc, services.StaleIntake | services.AlreadySubmitted):
        return redirect("intake:intake-detail", intake_id=intake.pk)
    current = exc.intake or intake
    as_edit = mode == "edit" or isinstance(exc, services.AlreadySubmitted)
    conflicts = _conflicts(current, form) if isinstance(exc, services.StaleIntake) else []
    rebound = _build_form(
        current,
        _with_version(form.data, current.version),
        as_of=as_of,
        questions=questions,
        ask_reason=as_edit,
    )
    rebound.is_valid()
    return _render_form(
        request,
        current,
        rebound,
        questions=questions,
        as_of=as_of,
        mode="edit" if as_edit else mode,
        conflicts=conflicts,
        status=409,
    )


def _draft_post(request: HttpRequest, intake: Intake, as_of, questions) -> HttpResponse:
    form = _build_form(intake, request.POST, as_of=as_of, questions=questions)
    form.is_valid()
    version = form.loaded_version()
    if version is None:
        messages.error(request, "The form was incomplete; reload the page and try again.")
        return redirect("intake:intake-detail", intake_id=intake.pk)
    changes = form.answer_changes()
    submit = request.POST.get("_action") == "submit" and not form.errors
    try:
        if submit:
            screening = services.intake_submit(
                intake_id=intake.pk,
                changes=changes,
                version=version,
                user=request.user,
                as_of=as_of,
                note=form.cleaned_data.get(NOTE_FIELD, "") or "",
                confirm=form.confirmed_codes(),
                reasons=form.correction_reasons(),
            )
            _screened_message(request, screening, "Submitted for physician review.")
            return redirect("intake:intake-detail", intake_id=intake.pk)
        saved = services.intake_save_draft(
            intake_id=intake.pk,
            changes=changes,
            rejected=form.rejected_answers(),
            version=version,
            user=request.user,
            as_of=as_of,
            confirm=form.confirmed_codes(),
            reasons=form.correction_reasons(),
        )
    except services.IntakeRefused as exc:
        return _conflict_response(
            request, intake, form, exc, questions=questions, as_of=as_of, mode="draft"
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _render_form(
            request, intake, form, questions=questions, as_of=as_of, mode="draft", status=400
        )
    if form.errors:
        bad = len(form.error_list())
        answered = sum(value is not None for value in saved.answers.values())
        messages.warning(
            request,
            f"Draft saved with {answered} answer{'' if answered == 1 else 's'}. {bad} answer"
            f"{' was' if bad == 1 else 's were'} not saved: correct "
            f"{'it' if bad == 1 else 'them'} below and save again."
            + (" The intake was not submitted." if request.POST.get("_action") == "submit" else ""),
        )
        rebound = _build_form(
            saved, _with_version(request.POST, saved.version), as_of=as_of, questions=questions
        )
        rebound.is_valid()
        return _render_form(
            request, saved, rebound, questions=questions, as_of=as_of, mode="draft", status=400
        )
    messages.success(
        request, f"Draft saved at {timezone.localtime():%H:%M}. Nothing was submitted yet."
    )
    return redirect("intake:intake-detail", intake_id=intake.pk)


def _screened_message(request: HttpRequest, screening, done: str) -> None:  # type: ignore[no-untyped-def]
    """What was saved and what the screener suggests; an emergency is an error, in red, with
    what to do now: never a success message."""
    if screening.emergency:
        messages.error(
            request,
            f"{emergency_label()} {done} Record who you contacted in the emergency box below.",
        )
        return
    messages.success(request, f"{done} The screener suggests: {outcome_label(screening.outcome)}.")


# --------------------------------------------------------------------------------------------
# Result


def render_result(
    request: HttpRequest,
    intake: Intake,
    *,
    emergency_form: EmergencyActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The result page: the decision in force first, then the screener's suggestion and why,
    the emergency loop, the answers, the history; billing only after "proceed"."""
    result = selectors.intake_result(intake=intake)
    if emergency_form is None and result.status.emergency:
        emergency_form = EmergencyActionForm(initial={"contacted_at": _now_minute()})
    return render(
        request,
        "intake/intake_result.html",
        {
            "intake": intake,
            "patient": intake.patient,
            "result": result,
            "status": result.status,
            "screening": result.screening,
            "summary": result.summary,
            "emergency_form": emergency_form,
            "can_edit": has_role(request.user, FRONT_DESK),
            "can_open_handout": has_role(request.user, FRONT_DESK, PHYSICIAN),
            "documents": document_selectors.document_rows(intake=intake),
            "printed_at": timezone.now(),
        },
        status=status,
    )


def _now_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


# --------------------------------------------------------------------------------------------
# Views


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(FRONT_DESK, PHYSICIAN, AUTHORIZATION)
@_audit_answer_writes
def intake_detail(request: HttpRequest, intake_id: int) -> HttpResponse:
    """The form while a draft (front desk), else the result; physicians and authorization
    coordinators read only."""
    intake = _intake_or_404(intake_id)
    front_desk = has_role(request.user, FRONT_DESK)
    in_form = intake.status in FORM_STATUSES
    if request.method == "POST":
        if not front_desk:
            raise PermissionDenied
        as_of = timezone.localdate()
        questions = selectors.set_questions(criteria_set=intake.criteria_set)
        return _draft_post(request, intake, as_of, questions)
    if in_form and front_desk:
        as_of = timezone.localdate()
        questions = selectors.set_questions(criteria_set=intake.criteria_set)
        form = _build_form(intake, None, as_of=as_of, questions=questions)
        response = _render_form(
            request, intake, form, questions=questions, as_of=as_of, mode="draft"
        )
        _audit_view(request, intake, "intake form")
        return response
    if intake.latest_screening is None:
        response = render(
            request,
            "intake/intake_draft_readonly.html",
            {
                "intake": intake,
                "patient": intake.patient,
                "documents": document_selectors.document_rows(intake=intake),
            },
        )
        _audit_view(request, intake, "draft (read only)")
        return response
    response = render_result(request, intake)
    _audit_view(request, intake, "result")
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(FRONT_DESK)
@_audit_answer_writes
def intake_edit(request: HttpRequest, intake_id: int) -> HttpResponse:
    """Change a submitted (or decided) intake, with a reason: a new screening, history kept."""
    intake = _intake_or_404(intake_id)
    if intake.status in FORM_STATUSES:
        return redirect("intake:intake-detail", intake_id=intake.pk)
    as_of = timezone.localdate()
    questions = selectors.set_questions(criteria_set=intake.criteria_set)
    if request.method == "GET":
        form = _build_form(intake, None, as_of=as_of, questions=questions, ask_reason=True)
        response = _render_form(
            request, intake, form, questions=questions, as_of=as_of, mode="edit"
        )
        _audit_view(request, intake, "intake form")
        return response
    form = _build_form(intake, request.POST, as_of=as_of, questions=questions, ask_reason=True)
    if not form.is_valid():
        messages.error(request, "Nothing was saved: correct the marked fields and save again.")
        return _render_form(
            request, intake, form, questions=questions, as_of=as_of, mode="edit", status=400
        )
    try:
        screening = services.intake_edit(
            intake_id=intake.pk,
            changes=form.answer_changes(),
            version=form.loaded_version(),
            reason=form.cleaned_data[REASON_FIELD],
            user=request.user,
            as_of=as_of,
        )
    except services.IntakeRefused as exc:
        return _conflict_response(
            request, intake, form, exc, questions=questions, as_of=as_of, mode="edit"
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _render_form(
            request, intake, form, questions=questions, as_of=as_of, mode="edit", status=400
        )
    _screened_message(
        request,
        screening,
        "Changes saved and screened again. The earlier screenings stay in the history.",
    )
    return redirect("intake:intake-detail", intake_id=intake.pk)


@never_cache
@require_POST
@role_required(FRONT_DESK)
def intake_panel(request: HttpRequest, intake_id: int) -> HttpResponse:
    """The live panel: the current, unsaved answers evaluated on the server. Saves nothing."""
    intake = _intake_or_404(intake_id)
    as_of = timezone.localdate()
    questions = selectors.set_questions(criteria_set=intake.criteria_set)
    form = _build_form(intake, request.POST, as_of=as_of, questions=questions)
    form.is_valid()
    answers = _answers_in_form(intake, form)
    preview = selectors.intake_preview(
        criteria_set=intake.criteria_set,
        answers=answers,
        as_of=as_of,
        patient=selectors.patient_record(intake.patient),
        prompts={q.code: q.prompt for q in questions},
    )
    return render(
        request,
        "intake/_panel.html",
        {
            "summary": preview.summary,
            "required": sorted(preview.required),
            "collapsed": sorted(_collapsed(preview, answers, form)),
            "invalid": form.error_list(),
            "as_of": as_of,
        },
    )


@never_cache
@require_GET
@role_required(FRONT_DESK)
def needs_info_list(request: HttpRequest) -> HttpResponse:
    page = BoundedCountPaginator(selectors.needs_info_list(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = selectors.needs_info_rows(page_ids=page.object_list)
    response = render(request, "intake/needs_info_list.html", {"page_obj": page, "rows": rows})
    audit.audit_record(
        action=AuditAction.LIST,
        request=request,
        part="needs-information list",
        patients_shown=[row.intake.patient_id for row in rows],
        detail=f"page {page.number}",
    )
    return response


@never_cache
@require_GET
@role_required(FRONT_DESK, PHYSICIAN)
def intake_handout(request: HttpRequest, intake_id: int) -> HttpResponse:
    """The patient's printable handout for the decision in force (proceed, conservative care,
    not a candidate), with the clinic's details."""
    found = handouts.patient_handout(intake_id=intake_id)
    if found is None:
        raise Http404("No handout: no decision in force has patient instructions.")
    response = render(
        request,
        "intake/handout.html",
        {"handout": found, "printed_at": timezone.now()},
    )
    # The handout is the print view: opening it is printing it.
    audit.audit_record(
        action=AuditAction.PRINT,
        request=request,
        patient=found.intake.patient_id,
        obj=found.intake,
        part="patient handout",
    )
    return response


# Where a print was made from (the value the page's print button sends), as the log names it.
PRINTED_PAGES = {"result": "result page printout", "case": "case view printout"}


@never_cache
@require_POST
@role_required(FRONT_DESK, PHYSICIAN, AUTHORIZATION)
def intake_printed(request: HttpRequest, intake_id: int) -> HttpResponse:
    """The print beacon: the result page's and the case view's Print button (and the browser's
    own print command) post here as the page prints. Records the print; returns nothing."""
    intake = _intake_or_404(intake_id)
    audit.audit_record(
        action=AuditAction.PRINT,
        request=request,
        patient=intake.patient_id,
        obj=intake,
        part=PRINTED_PAGES.get(request.POST.get("page", ""), "printout"),
    )
    return HttpResponse(status=204)
