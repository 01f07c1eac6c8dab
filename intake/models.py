"""Patients, their intakes, the screenings of each intake, and physicians' decisions.

An intake holds the answers (question code -> JSON value) and is pinned to the criteria set it
was started under. Every evaluation is stored as a Screening (never overwritten), so the
history of a case and the version it was screened under stay visible. The intake carries the
outcome of its latest screening so the review queue can be ordered and indexed without joins.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When

from intake.row_history import TrackedHistory
from screener.engine.types import Outcome
from screener.models import HeartbeatMixin, HeartbeatQuerySet


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not recorded"


class Patient(models.Model):
    mrn = models.CharField("medical record number", max_length=40, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    # Lower-case, without accents, hyphens or spaces: what duplicate detection and search match.
    first_name_key = models.CharField(max_length=100, editable=False, default="")
    last_name_key = models.CharField(max_length=100, editable=False, default="")
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=40, blank=True)
    insurance_payer = models.CharField(max_length=120, blank=True)
    insurance_member_id = models.CharField("insurance member id", max_length=60, blank=True)
    referring_physician = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    # Every registration and edit, with who and when (the patient page lists them).
    history = TrackedHistory(excluded_fields=["first_name_key", "last_name_key", "updated_at"])

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
            models.Index(fields=["last_name_key", "first_name_key"], name="patient_name_key_idx"),
            # The patient list's order: a page is read from this index, not sorted.
            models.Index(fields=["last_name", "first_name", "id"], name="patient_name_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class IntakeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    INFO_REQUESTED = "info_requested", "Information requested"
    DECIDED = "decided", "Decided"


OUTCOME_CHOICES = [(o.value, o.value) for o in Outcome]

# The review queue's urgency order: (outcome, emergency) -> rank; the emergency flag only
# matters for urgent. Stored on each intake (``Intake.queue_rank``) so an index gives the order.
QUEUE_OUTCOME_ORDER: tuple[str, ...] = (
    Outcome.URGENT.value,
    Outcome.CANDIDATE_WITH_CAUTIONS.value,
    Outcome.CANDIDATE.value,
    Outcome.NEEDS_INFO.value,
    Outcome.CONSERVATIVE.value,
    Outcome.CONTRAINDICATED.value,
)


def queue_rank_expression() -> Case:
    """Emergencies nobody has acted on yet (0), then the other emergencies (1), then by
    outcome in ``QUEUE_OUTCOME_ORDER`` (2...), anything else last."""
    whens = [
        When(emergency_open=True, then=Value(0)),
        When(outcome=Outcome.URGENT.value, emergency=True, then=Value(1)),
    ]
    whens += [
        When(outcome=outcome, then=Value(rank))
        for rank, outcome in enumerate(QUEUE_OUTCOME_ORDER, 2)
    ]
    return Case(*whens, default=Value(len(QUEUE_OUTCOME_ORDER) + 2))


# The front desk's needs-information list: what a physician asked for (group 0), then submitted
# intakes the screener could not sort (group 1). Defined once for the list's query and for the
# partial index that serves it (``intake_needs_info_idx``): PostgreSQL uses an index on an
# expression only when the query's expression and filter are the index's.
NEEDS_INFO_FILTER = Q(status=IntakeStatus.INFO_REQUESTED) | Q(
    status=IntakeStatus.SUBMITTED, outcome=Outcome.NEEDS_INFO
)
NEEDS_INFO_GROUP = models.Case(
    models.When(status=IntakeStatus.INFO_REQUESTED, then=models.Value(0)),
    default=models.Value(1),
    output_field=models.IntegerField(),
)


class Intake(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    procedure = models.ForeignKey(
        "screener.Procedure", on_delete=models.PROTECT, related_name="intakes"
    )
    criteria_set = models.ForeignKey(
        "screener.CriteriaSet", on_delete=models.PROTECT, related_name="intakes"
    )
    status = models.CharField(
        max_length=20, choices=IntakeStatus.choices, default=IntakeStatus.DRAFT
    )
    answers = models.JSONField(default=dict, blank=True)
    # Optimistic concurrency: a save names the version it was edited from.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # The latest screening, copied here for the queue (ordering, counts, filters).
    latest_screening = models.ForeignKey(
        "Screening", on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    outcome = models.CharField(max_length=30, choices=OUTCOME_CHOICES, blank=True)
    emergency = models.BooleanField(default=False)
    # An emergency red flag holds and nobody has recorded the action taken since it was raised:
    # the case stays at the top of the queue and cannot be decided until someone does.
    emergency_open = models.BooleanField(default=False)
    # The latest signed decision (in force while the intake is decided or back for information).
    current_decision = models.ForeignKey(
        "Decision", on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    # Review: the physician who has the case.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="assigned_intakes",
        null=True,
        blank=True,
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    # The queue's urgency order, computed by the database from the columns above whatever
    # writes them (services, the re-screen's raw UPDATE, COPY), so an index gives the order.
    queue_rank = models.GeneratedField(
        expression=queue_rank_expression(),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )

    # Each save of the answers (drafts included) or the status, with who and when.
    history = TrackedHistory(tracked=("patient", "answers", "status", "version"))

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The review queue in its order, read in index order (no sort): by status, by
            # status and outcome, and every status but drafts ("all").
            models.Index(
                fields=["status", "queue_rank", "submitted_at", "id"], name="intake_queue_rank_idx"
            ),
            models.Index(
                fields=["status", "outcome", "queue_rank", "submitted_at", "id"],
                name="intake_queue_outcome_idx",
            ),
            models.Index(
                fields=["queue_rank", "submitted_at", "id"],
                condition=~Q(status="draft"),
                name="intake_queue_all_idx",
            ),
            models.Index(
                fields=["outcome", "queue_rank", "submitted_at", "id"],
                condition=~Q(status="draft"),
                name="intake_queue_all_outcome_idx",
            ),
            models.Index(fields=["patient", "-created_at"], name="intake_patient_idx"),
            # The needs-information list's page of ids: read in order from this index alone
            # (status too, for PostgreSQL to compute the group from the index: an index-only
            # scan), not sorted.
            models.Index(
                NEEDS_INFO_GROUP,
                "submitted_at",
                "id",
                "status",
                condition=NEEDS_INFO_FILTER,
                name="intake_needs_info_idx",
            ),
            # The impact preview's "latest N submitted intakes of a procedure".
            models.Index(
                fields=["procedure", "-submitted_at", "-id"],
                condition=~Q(status=IntakeStatus.DRAFT),
                name="intake_latest_submitted_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Intake {self.pk}"

    @property
    def decision_in_force(self) -> Decision | None:
        """The physician's decision that stands, or None while the case awaits one (never
        decided, or submitted again after an edit)."""
        if self.status in (IntakeStatus.DECIDED, IntakeStatus.INFO_REQUESTED):
            return self.current_decision
        return None


class QueueCount(models.Model):
    """How many intakes there are of each status, procedure, outcome and emergency flag.

    Kept exact by the database itself: triggers on ``intake_intake`` (migration 0011) add and
    subtract on every INSERT, UPDATE and DELETE, whatever sends it (services, the re-screen's
    raw UPDATE, the seeding's COPY), so the queue's counts read a few rows instead of counting
    the table. Never written from Python.
    """

    status = models.CharField(max_length=20, choices=IntakeStatus.choices)
    procedure = models.ForeignKey("screener.Procedure", on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=30, blank=True)
    emergency = models.BooleanField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status", "procedure", "outcome", "emergency"], name="queue_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.outcome or '-'}: {self.count}"


class ScreeningKind(models.TextChoices):
    SUBMISSION = "submission", "Submitted"
    EDIT = "edit", "Edited after submission"
    RESCREEN = "rescreen", "Re-screened under new criteria"
    PATIENT = "patient", "Screened as the patient answered (their link)"


class ScreeningManager(models.Manager["Screening"]):
    # ScreeningQuerySet is defined below, beside the other write-once records' querysets.
    def get_queryset(self) -> ScreeningQuerySet:
        return ScreeningQuerySet(self.model, using=self._db)


class Screening(models.Model):
    """One evaluation of an intake's answers, stored whole and never changed: an edit or a
    re-screen adds a new one. ``save`` of a stored one and ``objects.update``/``delete`` are
    refused; on PostgreSQL a trigger refuses UPDATE and DELETE below Python too."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="screenings")
    criteria_set = models.ForeignKey(
        "screener.CriteriaSet", on_delete=models.PROTECT, related_name="screenings"
    )
    kind = models.CharField(max_length=20, choices=ScreeningKind.choices)
    reason = models.TextField(blank=True)
    as_of = models.DateField("screening date")
    answers = models.JSONField(help_text="The answers screened, age included.")
    outcome = models.CharField(max_length=30, choices=OUTCOME_CHOICES)
    emergency = models.BooleanField(default=False)
    missing = models.JSONField(default=list, blank=True)
    rule_results = models.JSONField(
        default=list,
        blank=True,
        help_text="Every rule: code, effect, holds, needs, message, source.",
    )
    suggested_codes = models.JSONField(default=list, blank=True)
    # Why, as the engine said it: the rules that decided the outcome in order of precedence,
    # and the line a physician reads first (the queue and the export read it as stored).
    deciding = models.JSONField(default=list, blank=True)
    key_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    objects = ScreeningManager()

    class Meta:
        ordering = ["intake", "created_at", "id"]
        indexes = [models.Index(fields=["intake", "-created_at"], name="screening_intake_idx")]

    def __str__(self) -> str:
        return f"Screening {self.pk} of intake {self.intake_id}: {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableDecisionError(ScreeningQuerySet.refusal)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDecisionError(ScreeningQuerySet.refusal)


class DecisionKind(models.TextChoices):
    PROCEED = "proceed", "Proceed to procedure"
    CONSERVATIVE = "conservative", "Conservative care"
    REFER = "refer", "Refer"
    REQUEST_INFO = "request_info", "Request more information"
    NOT_CANDIDATE = "not_candidate", "Not a candidate"


class ImmutableDecisionError(Exception):
    """A change to a signed decision: record an amendment (a new decision) instead."""


class ImmutableRecordQuerySet(models.QuerySet):
    """Records written once (decisions, emergency actions): never bulk-updated or deleted."""

    refusal = "This record cannot be changed."

    def update(self, **kwargs: Any) -> int:
        raise ImmutableDecisionError(self.refusal)

    update.queryset_only = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableDecisionError(self.refusal)

    delete.queryset_only = True  # type: ignore[attr-defined]


class DecisionQuerySet(ImmutableRecordQuerySet):
    refusal = "A signed decision cannot be changed or deleted; amend it instead."


class ScreeningQuerySet(ImmutableRecordQuerySet):
    refusal = "A stored screening cannot be changed or deleted; screen the intake again instead."


# The procedure date is scheduling, not part of what the physician signed: it may be set or
# moved later on a proceed decision (``review_plan_follow_up``), and who set it is recorded.
_SCHEDULING_FIELDS = frozenset(
    {"planned_procedure_date", "planned_date_set_by_id", "planned_date_set_at"}
)


class Decision(models.Model):
    """A physician's signed decision on an intake. Never changed; an amendment supersedes it."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="decisions")
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField("decision", max_length=20, choices=DecisionKind.choices)
    refer_to = models.CharField("refer to (service)", max_length=120, blank=True)
    # With "proceed": the technique of the criteria set's coding table the physician chose;
    # the codes, the billing panel and the handout follow it.
    technique = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decisions"
    )
    signed_at = models.DateTimeField()
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    planned_procedure_date = models.DateField(null=True, blank=True)
    planned_date_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    planned_date_set_at = models.DateTimeField(null=True, blank=True)

    objects = DecisionQuerySet.as_manager()
    # The signed decision, then each move of its planned date, with who and when.
    history = TrackedHistory()

    class Meta:
        ordering = ["intake", "signed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="refer") | ~Q(refer_to=""), name="decision_refer_names_service"
            ),
            models.CheckConstraint(
                condition=Q(kind="refer") | Q(refer_to=""), name="decision_refer_to_only_refer"
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(reason=""),
                name="decision_amendment_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(planned_procedure_date__isnull=True) | Q(kind="proceed"),
                name="decision_planned_date_only_proceed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on intake {self.intake_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            guard_decision_write(self)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDecisionError("A signed decision cannot be deleted; amend it instead.")


def guard_decision_write(decision: Decision) -> None:
    """A stored decision may change only its scheduling fields, never what was signed."""
    stored = Decision._base_manager.filter(pk=decision.pk).values().first()
    if stored is None:
        return
    changed = {name for name, value in stored.items() if getattr(decision, name) != value}
    if changed - _SCHEDULING_FIELDS:
        raise ImmutableDecisionError(
            f"A signed decision cannot be changed ({', '.join(sorted(changed))}); amend it instead."
        )


# --------------------------------------------------------------------------------------------
# Emergencies: what was done about an emergency red flag, by whom and when


class EmergencyContact(models.TextChoices):
    ONCALL = "oncall", "On-call spine clinician contacted"
    EMERGENCY_DEPARTMENT = "emergency_department", "Emergency department contacted"
    PATIENT_SENT = "patient_sent", "Patient told to go to the emergency department now"


class EmergencyActionQuerySet(ImmutableRecordQuerySet):
    refusal = "A recorded emergency action cannot be changed; record a correction instead."


class EmergencyAction(models.Model):
    """The action taken on an emergency red flag. Never changed: a correction is a new entry
    that names the one it corrects."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="emergency_actions")
    screening = models.ForeignKey(
        Screening, on_delete=models.PROTECT, related_name="emergency_actions"
    )
    contacted = models.CharField("action", max_length=30, choices=EmergencyContact.choices)
    contact_name = models.CharField(
        "who was reached", max_length=120, blank=True, help_text="Name, service or hospital."
    )
    contacted_at = models.DateTimeField("when")
    note = models.TextField(help_text="What was said and what happens next.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="corrections", null=True, blank=True
    )

    objects = EmergencyActionQuerySet.as_manager()

    class Meta:
        ordering = ["intake", "recorded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="emergency_action_has_note")
        ]

    def __str__(self) -> str:
        return f"{self.get_contacted_display()} on intake {self.intake_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableDecisionError(EmergencyActionQuerySet.refusal)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDecisionError(EmergencyActionQuerySet.refusal)


# --------------------------------------------------------------------------------------------
# Audit: every read and change of a patient's record, and every sign-in, in one append-only log


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    PRINT = "print", "Printed"
    EXPORT = "export", "Exported"
    DECIDE = "decide", "Decided"
    LOGIN = "login", "Signed in"
    LOGOUT = "logout", "Signed out"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOCKOUT = "lockout", "Locked out"
    ROLE_CHANGE = "role_change", "Roles changed"


class AuditOutcome(models.TextChoices):
    OK = "ok", "Done"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"


class AuditEventQuerySet(ImmutableRecordQuerySet):
    refusal = "The audit log is append-only: its rows are never changed or deleted."


class AuditEvent(models.Model):
    """One audited event. Written once through ``intake.services.audit.audit_record``; each row
    carries the hash of the one before it, so a changed or deleted row breaks the chain
    (``manage.py verify_audit``)."""

    at = models.DateTimeField(db_index=True)
    # PROTECT: the row's hash covers the user; a user who has audit rows is deactivated, never
    # deleted (deleting would have to rewrite the log, which the database refuses).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)  # as it was when the event happened
    role = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    outcome = models.CharField(max_length=10, choices=AuditOutcome.choices, default="ok")
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    # List pages: the patients shown (ids), so "who saw this patient" includes lists.
    patients_shown = models.JSONField(default=list, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    part = models.CharField("part of the record", max_length=120, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="field: [old, new]")
    detail = models.CharField(max_length=300, blank=True)
    source_address = models.GenericIPAddressField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["patient", "at"], name="audit_patient_idx"),
            models.Index(fields=["user", "at"], name="audit_user_idx"),
            models.Index(fields=["action", "at"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '-'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableDecisionError(AuditEventQuerySet.refusal)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDecisionError(AuditEventQuerySet.refusal)


class AuditChainHead(models.Model):
    """The single row holding the hash of the newest audit event: locked while a row is added,
    so concurrent writers chain one after the other."""

    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.last_hash[:12]


# --------------------------------------------------------------------------------------------
# The review queue's CSV export, written by a background task


def queue_export_storage() -> Any:
    """The private storage of export files (``STORAGES["exports"]``): never served by URL."""
    from django.core.files.storage import storages

    return storages["exports"]


class QueueExportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the task worker"
    RUNNING = "running", "Writing"
    DONE = "done", "Complete"
    FAILED = "failed", "Stopped"
    EXPIRED = "expired", "Expired"


class QueueExport(HeartbeatMixin, models.Model):
    """One CSV export of the review queue, asked by a physician and written by a task.

    ``filters`` are the queue's filters as asked (``QueueFilters`` as JSON, the patient search
    included until the export expires). The task counts the rows (``total``) and writes them in
    batches (``written``), beating ``heartbeat_at``; the file is saved to the private exports
    storage only once every row is written, so a file exists only for a complete export. A
    running export without a heartbeat for ``CRITERIA_JOB_STALL_SECONDS`` has stopped: its page
    says so. The file is deleted after ``expires_at`` (``manage.py expire_queue_exports``) and
    refused from then on.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=QueueExportStatus.choices, default=QueueExportStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0, help_text="Rows in the queue at the start.")
    written = models.PositiveIntegerField(default=0, help_text="Rows written so far.")
    file = models.FileField(storage=queue_export_storage, blank=True, max_length=200)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = HeartbeatQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="queue_export_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done") | Q(file=""), name="queue_export_file_only_when_done"
            ),
        ]

    def __str__(self) -> str:
        return f"Queue export {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == QueueExportStatus.DONE else 0
        return min(100, int(100 * self.written / self.total))


# --------------------------------------------------------------------------------------------
# Documents attached to an intake (imaging reports, referral letters, ...)


def documents_storage() -> Any:
    """The private storage of attached documents (``STORAGES["documents"]``): no URL."""
    from django.core.files.storage import storages

    return storages["documents"]


def document_storage_name(document: IntakeDocument, filename: str) -> str:
    """A random name (a UUID and the extension of the detected type): never the name the file
    was sent with, which may name the patient."""
    extension = DOCUMENT_EXTENSIONS.get(document.content_type, "")
    return f"{uuid.uuid4().hex}{extension}"


class DocumentKind(models.TextChoices):
    """In the order the packet lists documents."""

    MRI = "mri", "MRI report"
    CT = "ct", "CT report"
    XRAY = "xray", "X-ray report"
    BONE_SCAN = "bone_scan", "Bone scan report"
    REFERRAL = "referral_letter", "Referral letter"
    CLINIC_NOTE = "clinic_note", "Clinic note"
    LAB = "lab_result", "Lab result"


class DocumentContentType(models.TextChoices):
    PDF = "application/pdf", "PDF"
    JPEG = "image/jpeg", "JPEG image"
    PNG = "image/png", "PNG image"


DOCUMENT_EXTENSIONS = {
    DocumentContentType.PDF: ".pdf",
    DocumentContentType.JPEG: ".jpg",
    DocumentContentType.PNG: ".png",
}


class IntakeDocumentQuerySet(models.QuerySet):
    refusal = "Attached documents are kept: withdraw one attached by mistake instead."

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableDecisionError(self.refusal)

    delete.queryset_only = True  # type: ignore[attr-defined]


class IntakeDocument(models.Model):
    """A document attached to an intake: its kind and date, the file (stored under a random
    name; ``original_name`` only names the download), what it is by its bytes, who attached it.

    ``answers_from`` lists the question codes (of the intake's criteria set) whose answers were
    taken from this document. Documents are never deleted or changed: one attached by mistake
    is withdrawn, with who, when and why, and stays on record (hidden from the packet).
    """

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    document_date = models.DateField(help_text="The date of the report, letter, note or result.")
    title = models.CharField(max_length=120, blank=True)
    file = models.FileField(
        storage=documents_storage, upload_to=document_storage_name, max_length=200
    )
    original_name = models.CharField(
        max_length=255, blank=True, help_text="The name the file was sent with (for downloads)."
    )
    content_type = models.CharField(max_length=30, choices=DocumentContentType.choices)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    sha256 = models.CharField(max_length=64)
    answers_from = models.JSONField(
        default=list, blank=True, help_text="Codes of the questions answered from this document."
    )
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attached_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    withdrawn_reason = models.CharField(max_length=500, blank=True)

    objects = IntakeDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["intake", "document_date", "id"]
        # Kept, never changed but for a withdrawal: no change or delete permission exists.
        default_permissions = ("add", "view")
        permissions = [("withdraw_intakedocument", "Can withdraw an attached document")]
        indexes = [models.Index(fields=["intake", "withdrawn_at"], name="document_intake_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="document_not_empty"),
            models.CheckConstraint(
                condition=Q(
                    withdrawn_at__isnull=True, withdrawn_by__isnull=True, withdrawn_reason=""
                )
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False)
                & ~Q(withdrawn_reason=""),
                name="document_withdrawal_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.document_date:%Y-%m-%d} (document {self.pk})"

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDecisionError(IntakeDocumentQuerySet.refusal)


# ------------------------------------------------------------------------------------------
# FHIR API clients (intake/fhir/views.py)


class FhirScope(models.TextChoices):
    """What a client system may do through the FHIR API."""

    READ_QUESTIONNAIRES = "questionnaire:read", "Read Questionnaires (criteria sets)"
    READ_RESPONSES = "response:read", "Read QuestionnaireResponses (an intake's answers)"
    CREATE_RESPONSES = "response:create", "Create QuestionnaireResponses (a draft intake)"


class FhirClient(models.Model):
    """A system that calls the FHIR API with ``Authorization: Bearer <token>``.

    Only the SHA-256 of its token is stored (the token is 256 random bits, shown once by
    ``manage.py fhir_client_create``): a copy of the database gives no token. ``scopes`` lists
    what it may do (``FhirScope``); an inactive client is refused."""

    name = models.CharField(max_length=100, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "FHIR client"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        scopes = self.scopes if isinstance(self.scopes, list) else None
        if not scopes or set(scopes) - set(FhirScope.values):
            raise ValidationError(
                {"scopes": f"Choose one or more scopes among: {', '.join(FhirScope.values)}."}
            )


# --------------------------------------------------------------------------------------------
# Provenance of answers: who gave each answer, through what, and when


class EntrySource(models.TextChoices):
    PATIENT = "patient", "From the patient (their link)"
    STAFF = "staff", "Front desk"
    CLINICIAN = "clinician", "Clinician"


class AnswerEntry(models.Model):
    """One change of one answer of an intake: the value (None when cleared), who gave it and
    when. Written by the intake services whenever an answer changes; never changed afterwards
    but for the confirmation of a patient's answer. The current answer of a question is its
    newest entry; ``replaces`` names the entry it follows, so a staff correction of a patient's
    answer keeps both (with the correction's ``reason``)."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="answer_entries")
    question_code = models.CharField(max_length=64)
    value = models.JSONField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=EntrySource.choices)
    # None for the patient (through the link: ``patient_link`` says which).
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    patient_link = models.ForeignKey(
        "PatientLink", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField()
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="replaced_by", null=True, blank=True
    )
    reason = models.CharField(max_length=500, blank=True)
    # A patient's answer read back and confirmed by the front desk.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["intake", "question_code", "id"]
        verbose_name_plural = "answer entries"
        indexes = [
            models.Index(fields=["intake", "question_code", "-id"], name="answer_entry_current_idx")
        ]
        constraints = [
            models.CheckConstraint(
                # The patient has no user; staff and clinicians do, except a system that
                # imported the answers (the FHIR API: the audit log names the client).
                condition=~Q(source="patient") | Q(entered_by__isnull=True),
                name="answer_entry_who",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_code} of intake {self.intake_id} ({self.source})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Written once; the one later change is the front desk's confirmation.
        fields = set(kwargs.get("update_fields") or ())
        if not self._state.adding and not (fields and fields <= {"confirmed_by", "confirmed_at"}):
            raise ImmutableDecisionError("An answer entry is kept as written; add a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDecisionError("An answer entry is kept as written; add a new one.")


# --------------------------------------------------------------------------------------------
# The patient's own link: a patient answers their own questions of one draft intake


class PatientLink(models.Model):
    """A link the front desk gives a patient to answer their own questions of one intake.

    Only the SHA-256 of the token is stored (the token itself is shown once, to the front desk).
    A link works until ``expires_at``, until it is revoked (a new link for the same intake
    revokes the one before: one active link per intake), and until ``PATIENT_LINK_MAX_FAILURES``
    wrong dates of birth lock it (``locked_at``)."""

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="patient_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    # The patient's chosen language for the pages ("en", "es").
    language = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["intake"],
                condition=Q(revoked_at__isnull=True, locked_at__isnull=True),
                name="patient_link_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"Patient link {self.pk} of intake {self.intake_id}"

    def usable(self, *, now: datetime.datetime) -> bool:
        return self.revoked_at is None and self.locked_at is None and now < self.expires_at
