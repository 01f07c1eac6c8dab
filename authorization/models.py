"""Prior-authorization packets: one per intake and payer request, in numbered revisions.

A packet is opened by an authorization coordinator after a physician decided "proceed". While
it is a draft its content is built from the intake as it stands; a physician's attestation
freezes that content (``content``) and the packet never changes what it says again: a change
makes a new revision. After attestation only its tracking moves (submitted, approved, denied,
pended, appealed), each move kept in ``PacketStatusChange`` with who and when.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from intake.models import ImmutableDecisionError, ImmutableRecordQuerySet


def npi_check_digit_ok(npi: str) -> bool:
    """The NPI's check digit: Luhn over the 80840 prefix and the first nine digits."""
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def validate_npi(value: str) -> None:
    if len(value) != 10 or not value.isdigit():
        raise ValidationError("An NPI is 10 digits.", code="npi_format")
    if not npi_check_digit_ok(value):
        raise ValidationError("This NPI's check digit is wrong: check the number.", code="npi")


class PhysicianNpi(models.Model):
    """A physician's National Provider Identifier, printed on the packets they order or attest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="npi_record"
    )
    npi = models.CharField("NPI", max_length=10, unique=True, validators=[validate_npi])

    class Meta:
        verbose_name = "physician NPI"
        verbose_name_plural = "physician NPIs"

    def __str__(self) -> str:
        return f"NPI {self.npi}"


class PlaceOfService(models.TextChoices):
    """CMS place-of-service codes where the procedure can be done."""

    OFFICE = "11", "11 Office"
    OUTPATIENT_OFF_CAMPUS = "19", "19 Off campus outpatient hospital"
    INPATIENT = "21", "21 Inpatient hospital"
    OUTPATIENT_ON_CAMPUS = "22", "22 On campus outpatient hospital"
    SURGICAL_CENTER = "24", "24 Ambulatory surgical center"


class PacketStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ATTESTED = "attested", "Attested"
    SUBMITTED = "submitted", "Submitted"
    PENDED = "pended", "Pended"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    APPEALED = "appealed", "Appealed"


class SubmissionChannel(models.TextChoices):
    PORTAL = "portal", "Payer portal"
    FAX = "fax", "Fax"
    ELECTRONIC = "electronic", "Electronic (X12 278 / FHIR)"


# What a packet's tracking may move to from each status.
STATUS_MOVES: dict[str, tuple[str, ...]] = {
    PacketStatus.DRAFT: (PacketStatus.ATTESTED,),
    PacketStatus.ATTESTED: (PacketStatus.SUBMITTED,),
    PacketStatus.SUBMITTED: (PacketStatus.APPROVED, PacketStatus.DENIED, PacketStatus.PENDED),
    PacketStatus.PENDED: (
        PacketStatus.SUBMITTED,
        PacketStatus.APPROVED,
        PacketStatus.DENIED,
    ),
    PacketStatus.DENIED: (PacketStatus.APPEALED,),
    PacketStatus.APPEALED: (PacketStatus.APPROVED, PacketStatus.DENIED, PacketStatus.PENDED),
    PacketStatus.APPROVED: (),
}

# Fields an attested packet may still change: its tracking.
TRACKING_FIELDS = frozenset(
    {
        "status",
        "submitted_on",
        "payer_reference",
        "channel",
        "authorization_number",
        "valid_from",
        "valid_to",
        "approved_units",
        "denial_reason",
        "denied_criteria",
        "pended_request",
        "pended_due",
        "appealed_on",
        "appeal_note",
        "status_changed_at",
        "updated_at",
    }
)


class AuthorizationPacket(models.Model):
    intake = models.ForeignKey(
        "intake.Intake", on_delete=models.PROTECT, related_name="authorization_packets"
    )
    # The "proceed" decision the packet asks the payer to authorize.
    decision = models.ForeignKey("intake.Decision", on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField(default=1)
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_revision"
    )
    revision_reason = models.TextField(
        "what changed in this revision", blank=True
    )  # required from revision 2 on
    payer = models.CharField(max_length=120)
    member_id = models.CharField("member id", max_length=60)
    place_of_service = models.CharField(max_length=2, choices=PlaceOfService.choices)
    ordering_physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=PacketStatus.choices, default=PacketStatus.DRAFT
    )
    status_changed_at = models.DateTimeField()
    # Attestation: the content as attested, frozen (``authorization.snapshot``).
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    attested_at = models.DateTimeField(null=True, blank=True)
    attestation_statement = models.TextField(blank=True)
    attestation_confirmation = models.CharField(max_length=200, blank=True)
    content = models.JSONField(null=True, blank=True)
    # Submission
    submitted_on = models.DateField(null=True, blank=True)
    payer_reference = models.CharField(max_length=80, blank=True)
    channel = models.CharField(max_length=20, choices=SubmissionChannel.choices, blank=True)
    # Approval
    authorization_number = models.CharField(max_length=80, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    approved_units = models.PositiveIntegerField(null=True, blank=True)
    # Denial
    denial_reason = models.TextField(blank=True)
    denied_criteria = models.JSONField(
        default=list, blank=True, help_text="Rule codes of the criteria the payer named."
    )
    # Pended: what the payer asked for, and by when
    pended_request = models.TextField(blank=True)
    pended_due = models.DateField(null=True, blank=True)
    # Appeal
    appealed_on = models.DateField(null=True, blank=True)
    appeal_note = models.TextField(blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["intake", "revision"], name="packet_revision_unique_per_intake"
            ),
            models.CheckConstraint(
                condition=Q(revision=1) | ~Q(revision_reason=""),
                name="packet_revision_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(content__isnull=False),
                name="packet_attested_has_content",
            ),
        ]
        indexes = [
            # The coordinator's queue: by status, oldest change first.
            models.Index(fields=["status", "status_changed_at", "id"], name="packet_queue_idx"),
        ]
        permissions = [("attest_authorizationpacket", "Can attest a prior-authorization packet")]

    def __str__(self) -> str:
        return f"Authorization packet {self.pk} (revision {self.revision})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            guard_packet_write(self)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDecisionError("A packet is kept: supersede it with a new revision.")

    @property
    def is_attested(self) -> bool:
        return self.content is not None

    @property
    def has_newer_revision(self) -> bool:
        return AuthorizationPacket.objects.filter(previous=self).exists()

    @property
    def next_statuses(self) -> tuple[str, ...]:
        return STATUS_MOVES.get(self.status, ())


def guard_packet_write(packet: AuthorizationPacket) -> None:
    """An attested packet may change only its tracking, never what was attested."""
    stored = AuthorizationPacket._base_manager.filter(pk=packet.pk).values().first()
    if stored is None or stored["content"] is None:
        return
    changed = {name for name, value in stored.items() if getattr(packet, name) != value}
    if changed - TRACKING_FIELDS:
        raise ImmutableDecisionError(
            "An attested packet cannot be changed "
            f"({', '.join(sorted(changed - TRACKING_FIELDS))}); start a new revision instead."
        )


class PacketStatusChangeQuerySet(ImmutableRecordQuerySet):
    refusal = "A packet's history is kept: its entries are never changed or deleted."


class PacketStatusChange(models.Model):
    """One move of a packet's status (its opening included), with who, when and what was set."""

    packet = models.ForeignKey(
        AuthorizationPacket, on_delete=models.PROTECT, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=PacketStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=PacketStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    details = models.JSONField(default=dict, blank=True, help_text="The fields this move set.")

    objects = PacketStatusChangeQuerySet.as_manager()

    class Meta:
        ordering = ["packet", "at", "id"]

    def __str__(self) -> str:
        return f"{self.packet} -> {self.to_status}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableDecisionError(PacketStatusChangeQuerySet.refusal)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDecisionError(PacketStatusChangeQuerySet.refusal)
