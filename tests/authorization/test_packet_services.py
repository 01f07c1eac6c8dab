"""Opening, attesting, tracking and revising packets (services), and what the packet says."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from authorization import selectors, services
from authorization.content import MET, NOT_DOCUMENTED
from authorization.models import (
    AuthorizationPacket,
    PacketStatus,
    PacketStatusChange,
    validate_npi,
)
from intake.history import answer_text
from intake.models import AuditEvent, DecisionKind, ImmutableDecisionError
from intake.services import reviews
from intake.services.documents import intake_document_attach
from tests.authorization.helpers import (
    NOW,
    CoordinatorFactory,
    minimal_pdf,
    open_packet,
    physician_with_npi,
    proceed_intake,
    submit_and_proceed,
)
from tests.criteria_data import example as criteria_example
from tests.factories import FrontDeskFactory, IntakeFactory, PatientFactory, PhysicianFactory
from tests.intake.review.factories import submitted_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles", "frozen")]


SOURCES = {"Patient", "Chart or referral letter", "Imaging report", "Clinician"}


def attest(packet, physician, *, acknowledge=True, now=NOW):
    return services.packet_attest(
        packet=packet,
        user=physician,
        confirmation=services.attestation_phrase(physician),
        gaps_acknowledged=acknowledge,
        now=now,
    )


def test_an_npi_is_ten_digits_with_a_right_check_digit():
    validate_npi("1234567893")
    with pytest.raises(ValidationError, match="10 digits"):
        validate_npi("12345")
    with pytest.raises(ValidationError, match="check digit"):
        validate_npi("1234567890")


def test_a_packet_opens_only_on_a_proceed_decision_and_once(default_set):
    undecided = submitted_intake(outcome="candidate")
    with pytest.raises(ValidationError, match="decided to proceed"):
        open_packet(undecided)
    doc = physician_with_npi()
    conservative = submitted_intake(outcome="conservative")
    reviews.review_decide(
        intake=conservative,
        screening_id=conservative.latest_screening_id,
        kind=DecisionKind.CONSERVATIVE,
        physician=doc,
    )
    conservative.refresh_from_db()
    with pytest.raises(ValidationError):
        open_packet(conservative)

    intake = proceed_intake(physician=doc)
    packet = open_packet(intake)
    assert packet.status == PacketStatus.DRAFT and packet.revision == 1
    assert packet.ordering_physician == doc
    with pytest.raises(ValidationError, match="already has a packet"):
        open_packet(intake)
    opened = PacketStatusChange.objects.get(packet=packet)
    assert (opened.from_status, opened.to_status) == ("", PacketStatus.DRAFT)
    assert AuditEvent.objects.filter(object_id=str(packet.pk), action="create").exists()


def test_the_packet_names_patient_payer_physician_codes_and_version(default_set):
    intake = proceed_intake()
    content = selectors.packet_content(open_packet(intake), now=NOW)
    patient = intake.patient
    assert content.patient_name == patient.full_name
    assert content.patient_mrn == patient.mrn
    assert (content.payer, content.member_id) == ("Medicare Part B", "1EG4-TE5-MK72")
    assert content.ordering_physician_npi == "1234567893"
    assert content.place_of_service.startswith("22 ")
    assert content.planned_date == datetime.date(2025, 3, 28)
    assert content.procedure_codes and all(code.units >= 1 for code in content.procedure_codes)
    assert content.diagnosis_codes
    assert content.criteria_version == default_set.version
    assert content.coverage_policy


@pytest.mark.parametrize(
    "example", ["ex-inpatient-candidate.json", "ex-stable-two-findings-on-warfarin.json"]
)
def test_a_candidate_meets_every_criterion_each_traced_to_its_answers(default_set, example):
    answers = criteria_example(example)["answers"]
    intake = proceed_intake(answers=answers)
    content = selectors.packet_content(open_packet(intake), now=NOW)
    assert content.criteria, "the default set names coverage criteria"
    assert content.gaps == ()
    for criterion in content.criteria:
        assert criterion.status == MET
        assert criterion.wording and criterion.citation
        assert criterion.answers, f"{criterion.rule_code} is traced to no answer"
        for answer in criterion.answers:
            assert answer.prompt and answer.source in SOURCES
            assert answer.value_text == (
                "Not answered" if answer.value is None else answer_text(answer.value)
            )
    # Exclusions met because their answer is "no" or not asked; the rest rest on answers given.
    answered = {a.question_code for c in content.criteria for a in c.answers if a.value is not None}
    assert {"fracture_confirmed", "edema_or_uptake", "pain_nrs"} <= answered


def test_an_answer_names_who_entered_it_and_the_document_it_came_from(default_set):
    desk = FrontDeskFactory(first_name="Fran", last_name="Desk")
    answers = criteria_example("ex-inpatient-candidate.json")["answers"]
    edema = answers.pop("edema_or_uptake")
    intake = IntakeFactory(
        answers=answers,
        patient=PatientFactory(insurance_payer="Medicare Part B", insurance_member_id="1EG4"),
    )
    intake.answers = {**answers, "edema_or_uptake": edema}
    intake._history_user = desk
    intake.save()
    document = intake_document_attach(
        intake_id=intake.pk,
        file=SimpleUploadedFile("mri.pdf", minimal_pdf(), content_type="application/pdf"),
        kind="mri",
        document_date=datetime.date(2025, 3, 10),
        user=desk,
        answers_from=["edema_or_uptake"],
        today=datetime.date(2025, 3, 20),
    )
    submit_and_proceed(intake)
    content = selectors.packet_content(open_packet(intake), now=NOW)
    traced = [
        (criterion, answer)
        for criterion in content.criteria
        for answer in criterion.answers
        if answer.question_code == "edema_or_uptake"
    ]
    assert traced, "a criterion rests on the imaging answer"
    for criterion, answer in traced:
        assert (answer.entered_by, answer.entered_at) == ("Fran Desk", NOW)
        assert answer.source == "Imaging report"
        assert answer.document_id == document.pk
        assert document.pk in criterion.document_ids
    assert [d.id for d in content.documents] == [document.pk]
    assert content.documents[0].read().startswith(b"%PDF-")


def test_attestation_needs_the_physicians_name_and_freezes_the_content(default_set):
    doc = physician_with_npi(first_name="Ana", last_name="Ruiz")
    intake = proceed_intake(physician=doc)
    packet = open_packet(intake)
    with pytest.raises(ValidationError) as refused:
        services.packet_attest(
            packet=packet, user=doc, confirmation="someone else", gaps_acknowledged=True, now=NOW
        )
    assert "Ana Ruiz" in str(refused.value)
    packet = attest(packet, doc)
    assert packet.status == PacketStatus.ATTESTED
    frozen = selectors.packet_content(packet, now=NOW)
    assert frozen.attestation.physician_name == "Ana Ruiz"
    assert frozen.attestation.physician_npi == "1234567893"
    assert frozen.attestation.statement

    # The patient's insurance and the answers change later: the attested packet does not.
    intake.patient.insurance_payer = "Other payer"
    intake.patient.save()
    packet.refresh_from_db()
    assert selectors.packet_content(packet, now=NOW) == frozen

    packet.payer = "Changed"
    with pytest.raises(ImmutableDecisionError, match="new revision"):
        packet.save()
    with pytest.raises(ImmutableDecisionError):
        packet.delete()
    with pytest.raises(ValidationError, match="already attested"):
        attest(AuthorizationPacket.objects.get(pk=packet.pk), doc)


def test_status_moves_need_their_details_and_are_kept(default_set):
    doc = physician_with_npi()
    coordinator = CoordinatorFactory()
    packet = attest(open_packet(proceed_intake(physician=doc), coordinator), doc)
    with pytest.raises(ValidationError, match="cannot be marked approved"):
        services.packet_move(
            packet=packet, user=coordinator, to_status="approved", values={}, now=NOW
        )
    with pytest.raises(ValidationError) as refused:
        services.packet_move(
            packet=packet, user=coordinator, to_status="submitted", values={}, now=NOW
        )
    assert set(refused.value.message_dict) == {"submitted_on", "payer_reference", "channel"}

    later = NOW + datetime.timedelta(days=1)
    services.packet_move(
        packet=packet,
        user=coordinator,
        to_status="submitted",
        values={
            "submitted_on": datetime.date(2025, 3, 21),
            "payer_reference": "REF-77",
            "channel": "portal",
        },
        now=later,
    )
    with pytest.raises(ValidationError) as refused:
        services.packet_move(
            packet=packet,
            user=coordinator,
            to_status="approved",
            values={
                "authorization_number": "A1",
                "valid_from": datetime.date(2025, 4, 1),
                "valid_to": datetime.date(2025, 3, 1),
            },
            now=later,
        )
    assert "cannot end before it starts" in str(refused.value)
    services.packet_move(
        packet=packet,
        user=coordinator,
        to_status="pended",
        values={"pended_request": "Send the MRI report", "pended_due": datetime.date(2025, 4, 2)},
        now=later,
    )
    packet.refresh_from_db()
    assert packet.status == PacketStatus.PENDED
    moves = list(packet.status_changes.values_list("from_status", "to_status", "by"))
    assert moves == [
        ("", "draft", packet.created_by_id),
        ("draft", "attested", doc.pk),
        ("attested", "submitted", coordinator.pk),
        ("submitted", "pended", coordinator.pk),
    ]
    history = selectors.packet_history(packet)
    assert ("payer reference", "REF-77") in history[2].details
    with pytest.raises(ImmutableDecisionError):
        packet.status_changes.first().delete()


def test_a_denial_names_criteria_of_the_packet_and_is_answered_by_a_revision(default_set):
    doc = physician_with_npi()
    coordinator = CoordinatorFactory()
    intake = proceed_intake(physician=doc)
    packet = attest(open_packet(intake, coordinator), doc)
    submitted = {
        "submitted_on": datetime.date(2025, 3, 21),
        "payer_reference": "R",
        "channel": "fax",
    }
    services.packet_move(
        packet=packet, user=coordinator, to_status="submitted", values=submitted, now=NOW
    )
    criterion = selectors.packet_content(packet, now=NOW).criteria[0].rule_code
    with pytest.raises(ValidationError, match="Not criteria of this packet"):
        services.packet_move(
            packet=packet,
            user=coordinator,
            to_status="denied",
            values={"denial_reason": "Imaging", "denied_criteria": ["no_such_rule"]},
            now=NOW,
        )
    services.packet_move(
        packet=packet,
        user=coordinator,
        to_status="denied",
        values={"denial_reason": "Imaging too old", "denied_criteria": [criterion]},
        now=NOW,
    )
    with pytest.raises(ValidationError, match="Say what this revision changes"):
        services.packet_revise(packet=packet, user=coordinator, reason=" ", now=NOW)
    revision = services.packet_revise(
        packet=packet, user=coordinator, reason="New MRI report attached", now=NOW
    )
    assert (revision.revision, revision.status, revision.previous) == (2, "draft", packet)
    packet.refresh_from_db()
    assert packet.status == PacketStatus.DENIED  # the old revision keeps what happened
    assert selectors.packet_of_intake(intake) == revision
    with pytest.raises(ValidationError, match="newer revision"):
        services.packet_move(
            packet=packet,
            user=coordinator,
            to_status="appealed",
            values={"appealed_on": datetime.date(2025, 3, 25), "appeal_note": "x"},
            now=NOW,
        )


def test_attesting_needs_the_decision_still_in_force(default_set):
    doc = physician_with_npi()
    intake = proceed_intake(physician=doc)
    packet = open_packet(intake)
    reviews.review_amend(
        decision=intake.current_decision,
        screening_id=intake.latest_screening_id,
        kind=DecisionKind.CONSERVATIVE,
        physician=doc,
        reason="Pain improving",
    )
    with pytest.raises(ValidationError, match="no longer in force"):
        attest(AuthorizationPacket.objects.get(pk=packet.pk), doc)


def test_a_gap_comes_first_with_its_reason_and_must_be_acknowledged(default_set):
    """A physician may decide to proceed on a case with a criterion not documented (here the
    pain score is missing): the packet lists that gap first, and attesting asks to confirm it."""
    doc = physician_with_npi()
    intake = proceed_intake(
        physician=doc, outcome="needs_info", reason="Pain scored at the visit; chart to follow"
    )
    packet = open_packet(intake)
    content = selectors.packet_content(packet, now=NOW)
    assert content.gaps, "a missing pain score leaves a coverage criterion undocumented"
    statuses = [criterion.status for criterion in content.criteria]
    first_met = statuses.index(MET) if MET in statuses else len(statuses)
    assert all(status != MET for status in statuses[:first_met])
    assert all(status == MET for status in statuses[first_met:])
    gap = content.gaps[0]
    assert gap.status == NOT_DOCUMENTED
    assert gap.reason
    assert any(
        answer.value is None and answer.value_text == "Not answered" for answer in gap.answers
    )
    with pytest.raises(ValidationError) as refused:
        attest(packet, doc, acknowledge=False)
    assert "gaps_acknowledged" in refused.value.message_dict
    assert attest(packet, doc, acknowledge=True).status == PacketStatus.ATTESTED


def test_a_physician_without_the_role_cannot_be_the_only_check(default_set):
    """Views check roles; the service trusts its caller. This pins the typed-name rule for a
    physician without a full name: the username."""
    doc = PhysicianFactory(first_name="", last_name="", username="drx")
    assert services.attestation_phrase(doc) == "drx"


def test_attesting_needs_the_physicians_npi_on_file(default_set):
    doc = PhysicianFactory()
    packet = open_packet(proceed_intake(physician=doc))
    with pytest.raises(ValidationError, match="Your NPI is not on file"):
        attest(packet, doc)


def test_the_demo_physician_gets_the_sample_npi_once(default_set):
    from django.core.management import call_command

    from authorization.models import PhysicianNpi

    doc = PhysicianFactory(username="physician")
    call_command("setup_demo_npi", verbosity=0)
    call_command("setup_demo_npi", verbosity=0)
    assert list(PhysicianNpi.objects.values_list("user", "npi")) == [(doc.pk, "1234567893")]


def test_an_answer_the_patient_gave_through_their_link_says_so(default_set):
    """The answer entries (the patient's link, staff, clinician) are the record of who gave an
    answer; the packet reads them first."""
    from intake.models import AnswerEntry, EntrySource

    intake = proceed_intake()
    AnswerEntry.objects.create(
        intake=intake,
        question_code="pain_nrs",
        value=intake.current_decision.screening.answers["pain_nrs"],
        source=EntrySource.PATIENT,
        at=NOW - datetime.timedelta(days=2),
    )
    content = selectors.packet_content(open_packet(intake), now=NOW)
    pain = [a for c in content.criteria for a in c.answers if a.question_code == "pain_nrs"]
    assert pain and all(a.entered_by == "the patient (their link)" for a in pain)
    assert pain[0].entered_at == NOW - datetime.timedelta(days=2)
