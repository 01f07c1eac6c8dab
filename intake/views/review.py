"""Physician review views: the queue (with its CSV export), the case view and its actions.

Thin: each view binds a form, calls a selector or a service, and renders or redirects. The
queue's filters live in the URL; the patient search is posted and kept in the session.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake.forms.emergencies import EmergencyActionForm
from intake.forms.review import (
    AmendForm,
    AssignForm,
    DecisionForm,
    FollowUpForm,
    QueueFilterForm,
    QueueSearchForm,
    TakeOverForm,
)
from intake.models import (
    AuditAction,
    AuditOutcome,
    Decision,
    DecisionKind,
    Intake,
    IntakeStatus,
)
from intake.names import person_name
from intake.permissions import role_required
from intake.roles import PHYSICIAN
from intake.selectors import case as case_selectors
from intake.selectors import documents as document_selectors
from intake.selectors import queue as queue_selectors
from intake.services import audit, reviews
from intake.views import exports as export_views

PAGE_SIZE = 25
SEARCH_SESSION_KEY = "review_queue_search"


# --------------------------------------------------------------------------------------------
# Queue


def _queue_filters(request: HttpRequest) -> tuple[QueueFilterForm, queue_selectors.QueueFilters]:
    form = QueueFilterForm(
        request.GET,
        procedures=queue_selectors.review_procedures(),
        physicians=queue_selectors.review_physicians(),
    )
    return form, form.filters(search=request.session.get(SEARCH_SESSION_KEY, ""))


def _queue_url(request: HttpRequest) -> str:
    """The queue with the current filters (the page number and cursor dropped)."""
    params = request.GET.copy()
    for name in ("page", "after", "before"):
        params.pop(name, None)
    query = params.urlencode()
    return reverse("review:queue") + (f"?{query}" if query else "")


@role_required(PHYSICIAN)
@never_cache
@require_http_methods(["GET", "POST"])
def queue(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        search_form = QueueSearchForm(request.POST)
        if "clear" in request.POST:
            request.session.pop(SEARCH_SESSION_KEY, None)
        elif search_form.is_valid():
            request.session[SEARCH_SESSION_KEY] = search_form.cleaned_data["q"]
        else:
            messages.error(request, "Patient name or MRN: at most 100 characters.")
        return redirect(_queue_url(request))

    form, filters = _queue_filters(request)
    now = timezone.now()
    counts = queue_selectors.queue_counts(filters=filters, user=request.user)
    page = queue_selectors.queue_page(
        queue_selectors.queue_intakes(filters=filters, user=request.user, now=now),
        total=counts.total,
        size=PAGE_SIZE,
        number=_whole_number(request.GET.get("page")),
        after=_whole_number(request.GET.get("after")),
        before=_whole_number(request.GET.get("before")),
    )
    response = render(
        request,
        "review/queue.html",
        {
            "filter_form": form,
            "search_form": QueueSearchForm(initial={"q": filters.search}),
            "search": filters.search,
            "filters": filters,
            # Decided cases: the decision, who, when and the planned date get their own columns.
            "decided_view": filters.status == IntakeStatus.DECIDED,
            "counts": counts.outcomes,
            # On a phone the counts, the filters and the search fold away behind a "Filters"
            # button; they stay open while a filter or the search is on, or to show an error.
            "filters_active": filters.narrowing_count(),
            "filters_open": bool(filters.narrowing_count() or filters.search or form.errors),
            "page": page,
            "rows": queue_selectors.queue_rows(page.intakes, now=now),
            "queue_url": _queue_url(request),
        },
    )
    audit.audit_record(
        action=AuditAction.LIST,
        request=request,
        part="review queue",
        patients_shown=[intake.patient_id for intake in page.intakes],
        detail=f"page {page.number}" + (", searched" if filters.search else ""),
    )
    return response


def _whole_number(text: str | None) -> int | None:
    """A page number or an intake id from the URL; None when absent or not a number."""
    if text and text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    return None


@role_required(PHYSICIAN)
@never_cache
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    """Start a CSV export of the filtered queue (search included), every page, in queue order,
    written by the task worker; show its progress page (``intake.views.exports``).

    Invalid filters are refused with a 400 that says which: the queue page shows them and
    ignores them, but a file that quietly ignored one would hold other rows than asked for.
    """
    form, filters = _queue_filters(request)
    if form.errors:
        return HttpResponseBadRequest(
            f"No export was made: the filters are not valid. {form.error_text()} "
            "Correct them on the queue page and export again.\n",
            content_type="text/plain; charset=utf-8",
        )
    return export_views.export_start(request, filters)


# --------------------------------------------------------------------------------------------
# Case view


def _decision_initial(detail: case_selectors.CaseDetail) -> dict[str, Any]:
    return {"screening": detail.screening.pk}


def render_case(
    request: HttpRequest, intake_id: int, *, status: int = 200, **forms: Any
) -> HttpResponse:
    """The case view; ``forms`` are forms sent back with their errors or a kept entry."""
    now = timezone.now()
    detail = case_selectors.case_detail(intake_id=intake_id, now=now)
    if detail is None:
        raise Http404("No such intake in review.")
    today = timezone.localdate(now)
    outcome = detail.screening.outcome
    context: dict[str, Any] = {"case": detail, "intake": detail.intake}
    context["decide_form"] = forms.get("decide_form") or (
        DecisionForm(
            initial=_decision_initial(detail),
            outcome=outcome,
            today=today,
            techniques=detail.codes.techniques,
        )
        if detail.can_decide
        else None
    )
    context["amend_form"] = forms.get("amend_form") or (
        AmendForm(
            initial=_decision_initial(detail),
            outcome=outcome,
            today=today,
            techniques=detail.codes.techniques,
        )
        if detail.can_amend
        else None
    )
    context["assign_form"] = forms.get("assign_form") or AssignForm(
        initial={
            "assignee": detail.intake.assigned_to_id or "",
            "expected_assignee": detail.intake.assigned_to_id,
        },
        physicians=queue_selectors.review_physicians(),
    )
    # Another physician has the case: deciding, amending and planning need a take-over first.
    context["held_by_other"] = detail.intake.assigned_to_id not in (None, request.user.pk)
    # Nobody has the case: signing takes it, and the sign buttons say so.
    context["signing_takes_case"] = detail.intake.assigned_to_id is None
    context["take_over_form"] = TakeOverForm(
        initial={"expected_holder": detail.intake.assigned_to_id}
    )
    current = detail.current_decision
    context["follow_up_form"] = forms.get("follow_up_form") or (
        FollowUpForm(initial={"planned_procedure_date": current.planned_procedure_date})
        if detail.proceed_in_force and current is not None
        else None
    )
    context["emergency_form"] = forms.get("emergency_form") or (
        EmergencyActionForm(
            initial={"contacted_at": timezone.localtime(now).replace(second=0, microsecond=0)}
        )
        if detail.screening.emergency
        else None
    )
    if context["held_by_other"]:
        # Offered after a take-over; a form sent back keeps what the physician typed.
        for name in ("decide_form", "amend_form", "follow_up_form"):
            if name not in forms:
                context[name] = None
    context["documents"] = document_selectors.document_rows(intake=detail.intake)
    context["printed_at"] = now
    return render(request, "review/case.html", context, status=status)


@role_required(PHYSICIAN)
@never_cache
@require_GET
def case(request: HttpRequest, intake_id: int) -> HttpResponse:
    response = render_case(request, intake_id)
    audit.audit_record(
        action=AuditAction.VIEW,
        request=request,
        patient=audit.patient_of_intake(intake_id=intake_id),
        object_type=Intake._meta.label_lower,
        object_id=str(intake_id),
        part="case view",
    )
    return response


def _intake_or_404(intake_id: int) -> Intake:
    intake = case_selectors.reviewable_intake(intake_id)
    if intake is None:
        raise Http404("No such intake in review.")
    return intake


def _add_service_errors(form: Any, exc: ValidationError) -> None:
    """A service's field errors onto the form the user sent (unknown fields: the form's own)."""
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _case_url(intake_id: int, anchor: str = "") -> str:
    return reverse("review:case", args=[intake_id]) + (f"#{anchor}" if anchor else "")


def _kept_input(form: DecisionForm) -> dict[str, Any]:
    """What the physician typed, to put back into a fresh form after a conflict."""
    typed = {name: form.data.get(form.add_prefix(name), "") for name in form.fields}
    kept = {name: typed[name] for name in ("kind", "refer_to", "reason")}
    if typed.get("technique"):
        kept["technique"] = typed["technique"]
    return kept | {"planned_procedure_date": typed["planned_procedure_date"] or None}


# Said after the service's message ("... Nothing was saved."), so that a form filled in again
# below it does not read as if the refused entry had been signed after all.
KEPT_ENTRY = {
    reviews.EntryOffer.AS_SENT: "What you entered is kept in the form below.",
    reviews.EntryOffer.DECISION: (
        "What you entered is kept in the form below: check it against the case as it is now, "
        "then sign."
    ),
    reviews.EntryOffer.AMENDMENT: (
        "What you entered is kept below as an amendment of that decision: sign it only if the "
        "decision should change."
    ),
}


def _conflict_response(
    request: HttpRequest,
    intake_id: int,
    exc: reviews.ReviewConflict,
    *,
    form: DecisionForm | None = None,
) -> HttpResponse:
    """The case page (409) after a refused decision, amendment or plan, with the service's
    message and the physician's entry where the service offers it (``exc.offer``)."""
    if form is None or exc.offer == reviews.EntryOffer.NOTHING:
        messages.error(request, exc.message)
        return render_case(request, intake_id, status=409)
    messages.error(request, f"{exc.message} {KEPT_ENTRY[exc.offer]}")
    if exc.offer == reviews.EntryOffer.AS_SENT:
        key = "amend_form" if isinstance(form, AmendForm) else "decide_form"
        return render_case(request, intake_id, status=409, **{key: form})
    refreshed = _intake_or_404(intake_id)
    form_class = DecisionForm if exc.offer == reviews.EntryOffer.DECISION else AmendForm
    kept = form_class(
        initial=_kept_input(form) | {"screening": refreshed.latest_screening_id},
        outcome=refreshed.latest_screening.outcome,
        today=timezone.localdate(),
    )
    key = "decide_form" if form_class is DecisionForm else "amend_form"
    return render_case(request, intake_id, status=409, **{key: kept})


def case_name(intake: Intake) -> str:
    """The case as a person reads it in a message: "the case of Lovelace, Ada (MRN 0042)".
    Messages live in the session, never in a URL or a log, so the patient may be named."""
    return f"the case of {patient_named(intake)}"


def patient_named(intake: Intake) -> str:
    """The intake's patient as messages name them: "Lovelace, Ada (MRN 0042)"."""
    patient = intake.patient
    return f"{patient.last_name}, {patient.first_name} (MRN {patient.mrn})"


def _signed_message(
    decision: Decision, intake: Intake, *, what: str = "Decision", taken: bool = False
) -> str:
    """For whom, what was signed, by whom and when (a physician working through the queue
    reads which patient it was); ``taken`` when nobody held the case before (the service gives
    it to the physician who signs, so it is now theirs)."""
    when = timezone.localtime(decision.signed_at)
    text = f"{what} signed for {patient_named(intake)}: {decision.get_kind_display()}"
    if decision.refer_to:
        text += f" to {decision.refer_to}"
    text += f", by {person_name(decision.physician)} at {when:%H:%M on %d %b %Y}."
    if taken:
        text += " The case is now yours: nobody had taken it before you signed."
    if decision.kind == DecisionKind.REQUEST_INFO:
        text += " The case is back on the front desk's list with your note."
    return text


@role_required(PHYSICIAN)
@require_POST
def decide(request: HttpRequest, intake_id: int) -> HttpResponse:
    intake = _intake_or_404(intake_id)
    assert intake.latest_screening is not None
    today = timezone.localdate()
    form = DecisionForm(request.POST, outcome=intake.latest_screening.outcome, today=today)
    if not form.is_valid():
        return render_case(request, intake_id, status=400, decide_form=form)
    data = form.cleaned_data
    # Nobody holds the case: signing takes it (the service assigns it under the row lock; a
    # colleague taking it meanwhile makes the service refuse, CaseHeldByAnother).
    taken = intake.assigned_to_id is None
    try:
        decision = reviews.review_decide(
            intake=intake,
            screening_id=data["screening"],
            kind=data["kind"],
            physician=request.user,
            reason=data["reason"],
            refer_to=data["refer_to"],
            planned_procedure_date=data["planned_procedure_date"],
            technique=data.get("technique") or "",
            request=request,
        )
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return render_case(request, intake_id, status=400, decide_form=form)
    except reviews.ReviewConflict as exc:
        return _conflict_response(request, intake_id, exc, form=form)
    _audit_decision(request, intake, decision, previous=None)
    messages.success(request, _signed_message(decision, intake, taken=taken))
    return redirect(_case_url(intake_id, "decisions"))


def _audit_decision(
    request: HttpRequest, intake: Intake, decision: Decision, *, previous: Decision | None
) -> None:
    """DECIDE: the decision signed (an amendment names the kind it replaced)."""
    audit.audit_record(
        action=AuditAction.DECIDE,
        request=request,
        patient=intake.patient_id,
        obj=decision,
        part="decision",
        changes={"kind": [previous.kind if previous else None, decision.kind]}
        | audit.field_changes(
            {"planned_procedure_date": previous.planned_procedure_date if previous else None},
            {"planned_procedure_date": decision.planned_procedure_date},
        ),
        detail=f"amends decision {previous.pk}" if previous else "",
    )


@role_required(PHYSICIAN)
@require_POST
def amend(request: HttpRequest, intake_id: int, decision_id: int) -> HttpResponse:
    intake = _intake_or_404(intake_id)
    decision = case_selectors.decision_of_intake(intake_id=intake_id, decision_id=decision_id)
    if decision is None:
        raise Http404("No such decision on this intake.")
    assert intake.latest_screening is not None
    today = timezone.localdate()
    form = AmendForm(request.POST, outcome=intake.latest_screening.outcome, today=today)
    if not form.is_valid():
        return render_case(request, intake_id, status=400, amend_form=form)
    data = form.cleaned_data
    # Nobody holds the case: signing takes it (the service assigns it under the row lock; a
    # colleague taking it meanwhile makes the service refuse, CaseHeldByAnother).
    taken = intake.assigned_to_id is None
    try:
        amendment = reviews.review_amend(
            decision=decision,
            screening_id=data["screening"],
            kind=data["kind"],
            physician=request.user,
            reason=data["reason"],
            refer_to=data["refer_to"],
            planned_procedure_date=data["planned_procedure_date"],
            technique=data.get("technique") or "",
            request=request,
        )
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return render_case(request, intake_id, status=400, amend_form=form)
    except reviews.ReviewConflict as exc:
        return _conflict_response(request, intake_id, exc, form=form)
    _audit_decision(request, intake, amendment, previous=decision)
    messages.success(request, _signed_message(amendment, intake, what="Amendment", taken=taken))
    return redirect(_case_url(intake_id, "decisions"))


@role_required(PHYSICIAN)
@require_POST
def follow_up(request: HttpRequest, intake_id: int) -> HttpResponse:
    """Set or move the planned procedure date of the proceed decision in force."""
    intake = _intake_or_404(intake_id)
    current = reviews.current_decision(intake_id)
    if current is None:
        messages.error(request, "No decision has been signed on this case yet; nothing was saved.")
        return redirect(_case_url(intake_id))
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return render_case(request, intake_id, status=400, follow_up_form=form)
    try:
        decision = reviews.review_plan_follow_up(
            decision=current,
            planned_procedure_date=form.cleaned_data["planned_procedure_date"],
            physician=request.user,
            request=request,
        )
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return render_case(request, intake_id, status=400, follow_up_form=form)
    except reviews.ReviewConflict as exc:
        return _conflict_response(request, intake_id, exc)
    audit.audit_record(
        action=AuditAction.CHANGE,
        request=request,
        patient=intake.patient_id,
        obj=decision,
        part="planned date",
        changes=audit.field_changes(
            {"planned_procedure_date": current.planned_procedure_date},
            {"planned_procedure_date": decision.planned_procedure_date},
        ),
    )
    messages.success(
        request,
        f"Planned procedure date saved: {decision.planned_procedure_date:%d %b %Y}. "
        "The follow-up dates below are computed from it.",
    )
    return redirect(_case_url(intake_id, "follow-up"))


# A local path as the pages write ``next``: "/" then printable ASCII, no scheme or host.
LOCAL_PATH = re.compile(r"/(?![/\\])[!-~]{0,2000}")


def _next_or_case(request: HttpRequest, intake_id: int) -> str:
    """Where to go after taking a case: a local path, else the case. Never a view name, which
    ``redirect()`` would try to reverse, and never another host."""
    target = request.POST.get("next", "")
    if LOCAL_PATH.fullmatch(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return _case_url(intake_id)


@role_required(PHYSICIAN)
@require_POST
def take(request: HttpRequest, intake_id: int) -> HttpResponse:
    intake = _intake_or_404(intake_id)
    previous = intake.assigned_to
    try:
        reviews.review_take(intake=intake, physician=request.user)
    except reviews.ReviewConflict as exc:
        _audit_assignment(request, intake, previous, None, failed=True)
        messages.error(request, f"{capfirst(case_name(intake))}: {exc.message}")
    else:
        _audit_assignment(request, intake, previous, request.user)
        messages.success(request, f"You have taken {case_name(intake)}.")
    return redirect(_next_or_case(request, intake_id))


def _audit_assignment(
    request: HttpRequest, intake: Intake, previous: Any, now: Any, *, failed: bool = False
) -> None:
    """CHANGE "assignment": who had the case and who has it now (usernames)."""
    audit.audit_record(
        action=AuditAction.CHANGE,
        request=request,
        patient=intake.patient_id,
        obj=intake,
        part="assignment",
        changes=(
            {}
            if failed
            else audit.field_changes(
                {"assigned_to": previous.get_username() if previous else None},
                {"assigned_to": now.get_username() if now else None},
            )
        ),
        outcome=AuditOutcome.FAILED if failed else AuditOutcome.OK,
        detail="refused: the case changed hands" if failed else "",
    )


@role_required(PHYSICIAN)
@require_POST
def take_over(request: HttpRequest, intake_id: int) -> HttpResponse:
    """Take a case from the physician who has it (recorded), from the holder the page showed."""
    intake = _intake_or_404(intake_id)
    form = TakeOverForm(request.POST)
    if not form.is_valid():
        messages.error(request, "This page is out of date: reload the case and try again.")
        return redirect(_case_url(intake_id))
    previous = person_name(intake.assigned_to)
    try:
        reviews.review_take_over(
            intake=intake,
            physician=request.user,
            expected_holder_id=form.cleaned_data["expected_holder"],
            request=request,
        )
    except reviews.ReviewConflict as exc:
        # A take-over that happened is recorded by the service, in its transaction.
        _audit_assignment(request, intake, intake.assigned_to, None, failed=True)
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"You have taken over {case_name(intake)}"
            + (f" from {previous}" if previous else "")
            + ". The change is recorded.",
        )
    return redirect(_case_url(intake_id))


@role_required(PHYSICIAN)
@require_POST
def assign(request: HttpRequest, intake_id: int) -> HttpResponse:
    intake = _intake_or_404(intake_id)
    form = AssignForm(request.POST, physicians=queue_selectors.review_physicians())
    if not form.is_valid():
        return render_case(request, intake_id, status=400, assign_form=form)
    assignee = form.assignee_user()
    previous = intake.assigned_to
    try:
        reviews.review_assign(
            intake=intake,
            assignee=assignee,
            by=request.user,
            expected_assignee_id=form.cleaned_data["expected_assignee"],
        )
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return render_case(request, intake_id, status=400, assign_form=form)
    except reviews.ReviewConflict as exc:
        _audit_assignment(request, intake, previous, None, failed=True)
        messages.error(request, exc.message)
        return redirect(_case_url(intake_id))
    _audit_assignment(request, intake, previous, assignee)
    if assignee is None:
        messages.success(request, f"{capfirst(case_name(intake))} is now unassigned.")
    else:
        messages.success(
            request, f"{capfirst(case_name(intake))} is now assigned to {person_name(assignee)}."
        )
    return redirect(_case_url(intake_id))
