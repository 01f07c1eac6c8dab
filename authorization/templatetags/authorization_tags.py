"""The authorization standing of an intake, for pages of the intake app (the physician's case
view, the front desk's patient page) which cannot import this app: their templates load this
library instead."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from authorization.selectors import authorization_standing, authorization_standings
from intake.roles import AUTHORIZATION, PHYSICIAN, has_role

register = template.Library()


@register.inclusion_tag("authorization/_standing.html", takes_context=True)
def authorization_panel(context: Any, intake: Any) -> dict[str, Any]:
    """The case view's panel: the standing, and the packet to open or read."""
    user = context["request"].user
    return {
        "intake": intake,
        "standing": authorization_standing(intake, today=timezone.localdate()),
        "can_open_packet": has_role(user, AUTHORIZATION),
        "can_read_packet": has_role(user, AUTHORIZATION, PHYSICIAN),
    }


@register.simple_tag
def authorization_standings_of(rows: Any) -> dict[int, Any]:
    """Intake id -> standing, for the patient page's rows of (intake, status), in one query:
    ``{% authorization_standings_of intakes as standings %}``, then per row
    ``{% authorization_line standings intake.pk %}``."""
    return authorization_standings([row[0] for row in rows], today=timezone.localdate())


@register.inclusion_tag("authorization/_standing_line.html")
def authorization_line(standings: dict[int, Any], intake_id: int) -> dict[str, Any]:
    return {"standing": standings.get(intake_id)}


@register.filter
def document_label(content: Any, document_id: int | None) -> str:
    """How the packet names an attached document: "document 2: MRI report, 2026-11-02"."""
    if document_id is None:
        return ""
    for number, document in enumerate(content.documents, start=1):
        if document.id == document_id:
            return f"document {number}: {document.kind_label}, {document.document_date.isoformat()}"
    return ""
