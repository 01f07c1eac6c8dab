"""Reads of the actions recorded on emergency red flags, as the case and result pages list them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from intake.models import EmergencyAction, Intake
from intake.names import person_name


@dataclass(frozen=True)
class EmergencyActionItem:
    action: EmergencyAction
    contacted: str  # "On-call spine clinician contacted"
    contact_name: str
    contacted_at: datetime.datetime
    note: str
    recorded_by: str
    recorded_at: datetime.datetime
    corrects_id: int | None
    corrected: bool  # a later entry corrects this one


def emergency_actions(*, intake: Intake) -> list[EmergencyActionItem]:
    """Every action recorded on the intake's emergencies, newest first (one query)."""
    actions = list(
        EmergencyAction.objects.filter(intake=intake)
        .select_related("recorded_by")
        .order_by("-recorded_at", "-id")
    )
    corrected = {a.corrects_id for a in actions if a.corrects_id}
    return [
        EmergencyActionItem(
            action=action,
            contacted=action.get_contacted_display(),
            contact_name=action.contact_name,
            contacted_at=action.contacted_at,
            note=action.note,
            recorded_by=person_name(action.recorded_by),
            recorded_at=action.recorded_at,
            corrects_id=action.corrects_id,
            corrected=action.pk in corrected,
        )
        for action in actions
    ]
