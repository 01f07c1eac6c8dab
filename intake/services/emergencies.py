"""Emergencies, closed loop: an emergency red flag stays open until someone records what was
done (who was contacted, when, by whom, and a note).

An open emergency sits at the very top of the review queue and the case cannot be decided until
the action is recorded. A recorded action is never changed; a correction is a new entry that
names the one it corrects. Front desk and physicians can both record one.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from intake.models import EmergencyAction, Intake

RECORD_PERMISSION = "intake.add_emergencyaction"
# A contact time a little ahead of the server's clock is a slow clock, not the future.
CLOCK_SLACK = datetime.timedelta(minutes=5)


def emergency_still_open(*, was_emergency: bool, was_open: bool, now_emergency: bool) -> bool:
    """Whether an intake's emergency is open after a new screening.

    A new emergency (the previous screening had none) opens; an emergency that was already
    open stays open; one whose action was recorded stays closed while it continues; no
    emergency, nothing open. (The re-screen's SQL states the same rule.)
    """
    return now_emergency and (was_open or not was_emergency)


class NoEmergency(Exception):
    """The intake has no emergency to act on (and the entry corrects nothing)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@transaction.atomic
def emergency_action_record(
    *,
    intake_id: int,
    contacted: str,
    contacted_at: datetime.datetime,
    note: str,
    user: User,
    contact_name: str = "",
    corrects: EmergencyAction | None = None,
) -> EmergencyAction:
    """Record the action taken on the intake's emergency (or correct an earlier entry).

    Closes the emergency, so the case leaves the queue's emergency band and can be decided.
    Raises PermissionDenied for users who may not record one, NoEmergency when there is
    nothing to act on, ValidationError (field -> message) for bad input.
    """
    if not user.has_perm(RECORD_PERMISSION):
        raise PermissionDenied("Only front desk staff and physicians record emergency actions.")
    intake = (
        Intake.objects.select_for_update(of=("self",))
        .select_related("latest_screening")
        .get(pk=intake_id)
    )
    screening = intake.latest_screening
    if corrects is not None and corrects.intake_id != intake.pk:
        raise NoEmergency("That entry belongs to another intake. Nothing was saved.")
    if corrects is None and (screening is None or not screening.emergency):
        raise NoEmergency(
            "This intake has no emergency red flag now, so there is no action to record. "
            "Nothing was saved."
        )
    now = timezone.now()
    if contacted_at > now + CLOCK_SLACK:
        raise ValidationError({"contacted_at": "When: the contact cannot be in the future."})
    action = EmergencyAction(
        intake=intake,
        screening=corrects.screening if corrects is not None else screening,
        contacted=contacted,
        contact_name=contact_name.strip(),
        contacted_at=contacted_at,
        note=note.strip(),
        recorded_by=user,
        recorded_at=now,
        corrects=corrects,
    )
    action.full_clean()
    action.save()
    if intake.emergency_open:
        intake.emergency_open = False
        intake.save(update_fields=["emergency_open", "updated_at"])
    return action
