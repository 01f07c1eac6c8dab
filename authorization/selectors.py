"""Reads of prior-authorization packets: the content a packet says, the coordinator's queue,
and the authorization standing of an intake."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Exists, IntegerField, OuterRef, QuerySet, Value, When

from authorization.content import (
    MET,
    NOT_DOCUMENTED,
    NOT_MET,
    PacketAnswer,
    PacketAttestation,
    PacketCode,
    PacketContent,
    PacketCriterion,
    PacketDocument,
)
from authorization.models import (
    AuthorizationPacket,
    PacketStatus,
    PhysicianNpi,
    PlaceOfService,
)
from authorization.snapshot import content_from_json
from intake import history
from intake.explain import values_text
from intake.models import Decision, DecisionKind, Intake, IntakeStatus, Screening
from intake.names import person_name
from intake.outcomes import OUTCOME_LABELS
from intake.selectors.codes import suggested_codes
from intake.selectors.documents import document_for_answer, intake_documents, read_document_bytes
from intake.selectors.provenance import answer_provenance
from screener import adapters
from screener.engine.expressions import names_in, parse_expression
from screener.engine.types import Effect, coverage_met
from screener.models import AnswerSource, ContentBlock, Question, Rule

MEDICAL_NECESSITY_KIND = "medical_necessity"


def npi_of(user: Any) -> str:
    record = PhysicianNpi.objects.filter(user=user).first()
    return record.npi if record else ""


# --------------------------------------------------------------------------------------------
# The content of a packet


def _question_codes_read(names: Iterable[str], spec: Any) -> list[str]:
    """The questions behind the names a rule read: questions themselves, and the questions a
    derived value is computed from (recursively), in the order first named."""
    questions = {q.code for q in spec.questions}
    derived = {d.name: d for d in spec.derived}
    found: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        if name in questions:
            found.append(name)
        elif name in derived:
            value = derived[name]
            if value.weeks_since:
                visit(value.weeks_since)
            elif value.expression:
                for inner in sorted(names_in(parse_expression(value.expression))):
                    visit(inner)

    for name in names:
        visit(name)
    return found


def _criterion_status(effect: Effect, result: Mapping[str, Any]) -> str:
    if result.get("needs"):
        return NOT_DOCUMENTED
    return MET if coverage_met(effect, bool(result["holds"])) else NOT_MET


def _criteria(
    *,
    rules: list[Rule],
    results: Mapping[str, Mapping[str, Any]],
    answers_of: Any,
    labels: Mapping[str, str],
) -> list[PacketCriterion]:
    """One criterion per coverage rule, or per group of alternative rules (met when any one
    is: the group shows the one met, else every member's reasons); gaps first."""
    grouped: dict[str, list[Rule]] = {}
    for rule in rules:
        grouped.setdefault(rule.coverage_group or f"rule:{rule.code}", []).append(rule)
    criteria = []
    for members in grouped.values():
        states = []
        for rule in members:
            result = results.get(rule.code)
            if result is None:
                continue
            states.append((rule, result, _criterion_status(Effect(rule.effect), result)))
        if not states:
            continue
        met = [state for state in states if state[2] == MET]
        shown = met[:1] or states
        first = members[0]
        status = (
            MET
            if met
            else (NOT_DOCUMENTED if any(s[2] == NOT_DOCUMENTED for s in states) else NOT_MET)
        )
        reasons = []
        answers: list[PacketAnswer] = []
        for _rule, result, _state in shown:
            if status != MET:
                read = values_text(result.get("values"), labels)
                reasons.append(f"{result['message']} ({read})" if read else result["message"])
            for answer in answers_of(result):
                if answer not in answers:
                    answers.append(answer)
        criteria.append(
            PacketCriterion(
                rule_code=(shown[0][0] if met else first).code,
                wording=first.payer_wording,
                citation=first.payer_citation,
                status=status,
                reason="; ".join(reasons),
                answers=tuple(answers),
                document_ids=tuple(
                    dict.fromkeys(a.document_id for a in answers if a.document_id is not None)
                ),
            )
        )
    gaps = [c for c in criteria if c.is_gap]
    return gaps + [c for c in criteria if not c.is_gap]


def _document(document: Any) -> PacketDocument:
    return PacketDocument(
        id=document.pk,
        kind=document.kind,
        kind_label=document.get_kind_display(),
        document_date=document.document_date,
        title=document.title,
        content_type=document.content_type,
        attached_by=person_name(document.attached_by),
        attached_at=document.attached_at,
        read=lambda document=document: read_document_bytes(document),
    )


def _reader(document_id: int) -> Any:
    from intake.models import IntakeDocument

    def read() -> bytes:
        return read_document_bytes(IntakeDocument.objects.get(pk=document_id))

    return read


def live_content(packet: AuthorizationPacket, *, now: datetime.datetime) -> PacketContent:
    """What a draft packet says, from the intake and the decision as they stand now."""
    intake = packet.intake
    patient = intake.patient
    decision = packet.decision
    screening: Screening = decision.screening
    criteria_set = screening.criteria_set
    compiled = adapters.compiled_criteria(criteria_set)
    spec = compiled.spec
    labels = spec.labels()
    questions = {q.code: q for q in Question.objects.filter(criteria_set=criteria_set)}
    # "Patient (ask with the prompt's wording)" reads "Patient" to a payer.
    sources = {value: label.split(" (")[0] for value, label in AnswerSource.choices}
    provenance = answer_provenance(intake, screening.created_at)
    documents = intake_documents(intake)
    shown_ids = {d.pk for d in documents}
    from_document = {
        code: doc_id for code, doc_id in document_for_answer(intake).items() if doc_id in shown_ids
    }

    def answers_of(result: Mapping[str, Any]) -> list[PacketAnswer]:
        names = [name for name, _value in (result.get("values") or [])]
        answers = []
        for code in _question_codes_read([*names, *result.get("needs", ())], spec):
            question = questions.get(code)
            if question is None:
                continue
            value = screening.answers.get(code)
            entered = provenance.get(code)
            answers.append(
                PacketAnswer(
                    question_code=code,
                    prompt=question.prompt,
                    value=value,
                    value_text=history.answer_text(value) if value is not None else "Not answered",
                    source=sources.get(question.answer_source, ""),
                    entered_by=entered.by if entered and value is not None else "",
                    entered_at=entered.at if entered and value is not None else None,
                    document_id=from_document.get(code),
                )
            )
        return answers

    rules = list(
        Rule.objects.filter(criteria_set=criteria_set, coverage_criterion=True).order_by(
            "order", "id"
        )
    )
    results = {result["code"]: result for result in screening.rule_results}
    codes = suggested_codes(screening, decision)
    units: dict[str, int] = {}
    for code in codes.codes:
        units[code] = units.get(code, 0) + 1
    diagnoses = adapters.diagnosis_codes(
        criteria_set,
        screening.answers,
        as_of=screening.as_of,
        patient=adapters.PatientRecord(date_of_birth=patient.date_of_birth, sex=patient.sex),
    )
    return PacketContent(
        packet_id=packet.pk,
        revision=packet.revision,
        status_label=packet.get_status_display(),
        patient_name=patient.full_name,
        patient_birth_date=patient.date_of_birth,
        patient_sex_label=patient.get_sex_display(),
        patient_mrn=patient.mrn,
        payer=packet.payer,
        member_id=packet.member_id,
        ordering_physician=person_name(packet.ordering_physician),
        ordering_physician_npi=npi_of(packet.ordering_physician),
        place_of_service=PlaceOfService(packet.place_of_service).label,
        planned_date=decision.planned_procedure_date,
        technique=codes.technique_label,
        procedure_codes=tuple(
            PacketCode(code=code, description=codes.technique_label, units=count)
            for code, count in units.items()
        ),
        diagnosis_codes=tuple(
            PacketCode(code=diagnosis.code, description=diagnosis.description)
            for diagnosis in diagnoses
        ),
        criteria=tuple(
            _criteria(rules=rules, results=results, answers_of=answers_of, labels=labels)
        ),
        documents=tuple(_document(d) for d in documents),
        intake_id=intake.pk,
        screened_at=screening.created_at,
        outcome_label=OUTCOME_LABELS.get(screening.outcome, screening.outcome),
        criteria_label=criteria_set.procedure_name,
        criteria_version=criteria_set.version,
        coverage_policy=criteria_set.coverage_policy,
        coverage_policy_revised=criteria_set.coverage_policy_revised,
        generated_at=now,
        attestation=None,
    )


def packet_content(packet: AuthorizationPacket, *, now: datetime.datetime) -> PacketContent:
    """The packet as attested (frozen), or as a draft says it now."""
    if packet.content is not None:
        return content_from_json(packet.content, _reader)
    return live_content(packet, now=now)


def medical_necessity_statement(packet: AuthorizationPacket) -> str:
    """The set's statement of medical necessity, which the physician attests."""
    block = (
        ContentBlock.objects.filter(
            criteria_set=packet.decision.screening.criteria_set, kind=MEDICAL_NECESSITY_KIND
        )
        .order_by("order", "id")
        .first()
    )
    return block.body if block else ""


def attestation_of(packet: AuthorizationPacket) -> PacketAttestation | None:
    if packet.attested_at is None:
        return None
    return PacketAttestation(
        physician_name=person_name(packet.attested_by),
        physician_npi=npi_of(packet.attested_by),
        attested_at=packet.attested_at,
        statement=packet.attestation_statement,
        confirmation=packet.attestation_confirmation,
    )


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime.datetime
    from_label: str
    to_label: str
    by: str
    details: tuple[tuple[str, str], ...]  # (field label, value as read)


def packet_history(packet: AuthorizationPacket) -> list[HistoryEntry]:
    """Each status move of the packet, with the fields it set in words."""
    fields = {f.name: f for f in AuthorizationPacket._meta.fields}
    labels = {name: str(field.verbose_name) for name, field in fields.items()}
    labels |= {"revision": "revision", "reason": "reason"}
    entries = []
    for change in packet.status_changes.select_related("by"):
        details = []
        for name, value in change.details.items():
            if value in (None, "", []):
                continue
            if isinstance(value, list):
                value = ", ".join(str(item) for item in value)
            elif name in fields and fields[name].choices:
                value = dict(fields[name].choices).get(value, value)
            details.append((labels.get(name, name), str(value)))
        entries.append(
            HistoryEntry(
                at=change.at,
                from_label=PacketStatus(change.from_status).label if change.from_status else "",
                to_label=PacketStatus(change.to_status).label,
                by=person_name(change.by),
                details=tuple(details),
            )
        )
    return entries


# --------------------------------------------------------------------------------------------
# Which intakes a coordinator can open a packet for, and their standing


def latest_packets() -> QuerySet[AuthorizationPacket]:
    """Each intake's latest revision."""
    return AuthorizationPacket.objects.filter(next_revision__isnull=True)


def packet_of_intake(intake: Intake) -> AuthorizationPacket | None:
    return (
        AuthorizationPacket.objects.filter(intake=intake, next_revision__isnull=True)
        .select_related("intake", "decision")
        .first()
    )


def proceed_decision(intake: Intake) -> Decision | None:
    """The "proceed" decision in force, which a packet can ask the payer to authorize."""
    decision = intake.decision_in_force
    if decision is not None and decision.kind == DecisionKind.PROCEED:
        return decision
    return None


def awaiting_packet() -> QuerySet[Intake]:
    """Decided "proceed" cases with no packet yet, by planned date (soonest first)."""
    return (
        Intake.objects.filter(
            status=IntakeStatus.DECIDED, current_decision__kind=DecisionKind.PROCEED
        )
        .exclude(authorization_packets__isnull=False)
        .select_related("patient", "current_decision")
        .defer("answers")
        .order_by("current_decision__planned_procedure_date", "submitted_at", "id")
    )


@dataclass(frozen=True)
class AuthorizationStanding:
    """What the case view and the patient page say about an intake's authorization."""

    packet: AuthorizationPacket | None
    label: str  # "Approved (AUTH-123, valid to 2027-01-31)", "No packet yet", ...
    css: str  # Bootstrap colour
    warning: str  # "Planned for 2026-12-10 with no approval", or ""


def _standing(
    decision: Decision | None, packet: AuthorizationPacket | None, today: datetime.date
) -> AuthorizationStanding | None:
    if decision is None and packet is None:
        return None
    if packet is None:
        label, css = "No authorization packet yet", "secondary"
    elif packet.status == PacketStatus.APPROVED:
        label = f"Approved, authorization {packet.authorization_number}"
        if packet.valid_to:
            label += f", valid to {packet.valid_to.isoformat()}"
        css = "success"
    elif packet.status == PacketStatus.DENIED:
        label, css = f"Denied (revision {packet.revision})", "danger"
    elif packet.status == PacketStatus.PENDED:
        label = "Pended: the payer asked for more"
        if packet.pended_due:
            label += f" by {packet.pended_due.isoformat()}"
        css = "warning"
    else:
        label, css = f"{packet.get_status_display()} (revision {packet.revision})", "info"
    warning = ""
    planned = decision.planned_procedure_date if decision else None
    approved = packet is not None and packet.status == PacketStatus.APPROVED
    if planned is not None and not approved and planned >= today:
        warning = f"Planned for {planned.isoformat()} with no approval yet."
    return AuthorizationStanding(packet=packet, label=label, css=css, warning=warning)


def authorization_standing(intake: Intake, *, today: datetime.date) -> AuthorizationStanding | None:
    """None when no authorization is in question (no "proceed" decision in force, no packet)."""
    return _standing(proceed_decision(intake), packet_of_intake(intake), today)


def authorization_standings(
    intakes: Iterable[Intake], *, today: datetime.date
) -> dict[int, AuthorizationStanding]:
    """The standing of several intakes (their decision in force loaded) in one query."""
    intakes = list(intakes)
    packets = {
        packet.intake_id: packet
        for packet in latest_packets().filter(intake__in=[i.pk for i in intakes])
    }
    standings = {}
    for intake in intakes:
        standing = _standing(proceed_decision(intake), packets.get(intake.pk), today)
        if standing is not None:
            standings[intake.pk] = standing
    return standings


# --------------------------------------------------------------------------------------------
# The coordinator's queue

QUEUE_STATUSES = (
    PacketStatus.DENIED,
    PacketStatus.PENDED,
    PacketStatus.DRAFT,
    PacketStatus.ATTESTED,
    PacketStatus.SUBMITTED,
    PacketStatus.APPEALED,
    PacketStatus.APPROVED,
)


def coordinator_queue(*, status: str = "") -> QuerySet[AuthorizationPacket]:
    """Latest revisions: denials and pended requests first (soonest due first), then drafts,
    attested, submitted and appealed packets (oldest change first), approvals last."""
    rank = Case(
        *(When(status=s, then=Value(i)) for i, s in enumerate(QUEUE_STATUSES)),
        output_field=IntegerField(),
    )
    packets = latest_packets().select_related("intake__patient", "decision", "ordering_physician")
    if status:
        packets = packets.filter(status=status)
    return packets.annotate(queue_order=rank).order_by(
        "queue_order", "pended_due", "status_changed_at", "id"
    )


def unapproved_planned(*, today: datetime.date) -> QuerySet[Intake]:
    """The "proceed" cases planned from today on with no approved packet."""
    approved = AuthorizationPacket.objects.filter(
        intake=OuterRef("pk"), status=PacketStatus.APPROVED, next_revision__isnull=True
    )
    return (
        Intake.objects.filter(
            status=IntakeStatus.DECIDED,
            current_decision__kind=DecisionKind.PROCEED,
            current_decision__planned_procedure_date__gte=today,
        )
        .exclude(Exists(approved))
        .select_related("patient", "current_decision")
        .defer("answers")
        .order_by("current_decision__planned_procedure_date", "id")
    )
