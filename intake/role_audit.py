"""Role changes in the audit log: a user added to or removed from a group (the roles are groups),
however it is done (Django admin's user page, a group's page, ``setup_demo``, the shell).

A receiver of ``m2m_changed`` on ``User.groups`` (connected when the app is ready), because
the change can come from any of those places and none of them calls our services. Each changed
user gets one ROLE_CHANGE row: ``changes`` holds the groups before and after, the object is the
user whose roles changed, and the user of the row is whoever made the change (the request's
user; nobody outside a request, for example a management command).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from simple_history.models import HistoricalRecords

from intake.models import AuditAction
from intake.services.audit import audit_record

_CLEARED = "_audit_groups_before_clear"


def _current_request() -> Any:
    """The request being served (HistoryRequestMiddleware keeps it), or None."""
    return getattr(HistoricalRecords.context, "request", None)


def _names(group_ids: set[int]) -> set[str]:
    return set(Group.objects.filter(pk__in=group_ids).values_list("name", flat=True))


def _record(subject: User, before: set[str], after: set[str]) -> None:
    if before == after:
        return
    request = _current_request()
    added, removed = sorted(after - before), sorted(before - after)
    audit_record(
        action=AuditAction.ROLE_CHANGE,
        request=request,
        object_type=User._meta.label_lower,
        object_id=str(subject.pk),
        part="groups",
        changes={"groups": [sorted(before), sorted(after)]},
        detail=(
            f"user {subject.get_username()}"
            + (f"; added {', '.join(added)}" if added else "")
            + (f"; removed {', '.join(removed)}" if removed else "")
            + ("" if request is not None else "; outside a request")
        ),
    )


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="intake.role_audit.groups")
def _groups_changed(
    sender: Any,
    instance: User | Group,
    action: str,
    reverse: bool,
    pk_set: set[int] | None,
    **kwargs: Any,
) -> None:
    if action == "pre_clear":
        # What a clear removes is known only before it runs.
        if reverse:
            setattr(instance, _CLEARED, list(instance.user_set.all()))
        else:
            setattr(instance, _CLEARED, _names(set(instance.groups.values_list("pk", flat=True))))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        assert isinstance(instance, User)
        after = set(instance.groups.values_list("name", flat=True))
        if action == "post_clear":
            before = getattr(instance, _CLEARED, set())
        elif action == "post_add":
            before = after - _names(pk_set or set())
        else:
            before = after | _names(pk_set or set())
        _record(instance, before, after)
        return
    # From the group's side: ``instance`` is the group, ``pk_set`` the users.
    assert isinstance(instance, Group)
    users = (
        getattr(instance, _CLEARED, [])
        if action == "post_clear"
        else list(User.objects.filter(pk__in=pk_set or set()))
    )
    for user in users:
        after = set(user.groups.values_list("name", flat=True))
        before = (after - {instance.name}) if action == "post_add" else (after | {instance.name})
        _record(user, before, after)
