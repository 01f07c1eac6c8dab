"""Roles and demo accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.db import transaction

from intake.roles import (
    AUDITOR,
    AUTHORIZATION,
    CRITERIA_ADMIN,
    FRONT_DESK,
    GROUP_PERMISSIONS,
    PHYSICIAN,
)

DEMO_ACCOUNTS = (
    # username, role, first name, last name, staff (Django admin)
    ("frontdesk", FRONT_DESK, "Fran", "Desk", False),
    ("physician", PHYSICIAN, "Dr Pat", "Spine", False),
    ("criteria_admin", CRITERIA_ADMIN, "Cris", "Admin", True),
    # Staff: the audit report is in Django admin (its group may only view audit events).
    ("auditor", AUDITOR, "Audrey", "Auditor", True),
    ("authorization", AUTHORIZATION, "Ada", "Coordinator", False),
)


@transaction.atomic
def roles_ensure() -> dict[str, Group]:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    groups = {}
    for role, apps in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for app_label, models in apps.items():
            for model, actions in models.items():
                codenames = [f"{action}_{model}" for action in actions]
                found = list(
                    Permission.objects.filter(
                        content_type__app_label=app_label, codename__in=codenames
                    )
                )
                if len(found) != len(codenames):
                    missing = set(codenames) - {p.codename for p in found}
                    raise LookupError(f"missing permissions {sorted(missing)} for {app_label}")
                wanted.extend(found)
        group.permissions.set(wanted)
        groups[role] = group
    return groups


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    created: bool
    password: str | None  # set only when it was set by this call


def demo_password_validate(password: str) -> None:
    """Raise ValidationError (every problem, in one list) unless the password passes the
    password validators for every demo account. Needs no database."""
    problems: list[str] = []
    for username, _role, first, last, _staff in DEMO_ACCOUNTS:
        account = User(username=username, first_name=first, last_name=last)
        try:
            password_validation.validate_password(password, user=account)
        except ValidationError as error:
            problems.extend(m for m in error.messages if m not in problems)
    if problems:
        raise ValidationError(problems)


def demo_password_generate() -> str:
    """A random password (16 URL-safe characters) that passes the validators."""
    while True:
        password = secrets.token_urlsafe(12)
        try:
            demo_password_validate(password)
        except ValidationError:
            continue
        return password


@transaction.atomic
def demo_accounts_ensure(*, password: str | None) -> list[DemoAccount]:
    """One account per role. A given password is (re)set on every call; without one, a new
    account gets a random password, returned once, and an existing one keeps its own. A given
    password that fails the password validators raises ValidationError before anything is
    written."""
    if password is not None:
        demo_password_validate(password)
    groups = roles_ensure()
    accounts = []
    for username, role, first, last, staff in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "is_staff": staff},
        )
        set_password = created or password is not None
        new_password = password if password is not None else demo_password_generate()
        if set_password:
            user.set_password(new_password)
        user.is_staff = staff
        user.is_active = True
        user.save()
        user.groups.add(groups[role])
        accounts.append(
            DemoAccount(username, role, created, new_password if set_password else None)
        )
    return accounts
