"""The roles of the product, as Django groups, and the permissions each one holds.

Least privilege: each group gets only the model permissions its work needs; views check the
role (``role_required``) and services check the permission where it matters.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

FRONT_DESK = "Front desk"
PHYSICIAN = "Physician"
CRITERIA_ADMIN = "Criteria admin"
AUDITOR = "Auditor"
AUTHORIZATION = "Authorization"
ROLES = (FRONT_DESK, PHYSICIAN, CRITERIA_ADMIN, AUDITOR, AUTHORIZATION)

# app_label -> model -> actions, per group.
GROUP_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    FRONT_DESK: {
        "intake": {
            "patient": ("add", "change", "view"),
            "intake": ("add", "change", "view"),
            "screening": ("view",),
            "decision": ("view",),
            "emergencyaction": ("add", "view"),
            "intakedocument": ("add", "view", "withdraw"),
        },
    },
    PHYSICIAN: {
        "intake": {
            "patient": ("view",),
            "intake": ("view",),
            "screening": ("view",),
            "decision": ("add", "view"),
            "emergencyaction": ("add", "view"),
            "intakedocument": ("add", "view", "withdraw"),
        },
        # Physicians read and attest prior-authorization packets.
        "authorization": {
            "authorizationpacket": ("view", "attest"),
            "packetstatuschange": ("view",),
        },
    },
    CRITERIA_ADMIN: {
        "screener": {
            model: ("add", "change", "delete", "view")
            for model in (
                "procedure",
                "criteriaset",
                "question",
                "parameter",
                "derivedvalue",
                "rule",
                "codingrow",
                "diagnosiscode",
                "followupvisit",
                "contentblock",
                "goldencase",
            )
        }
        # The change log and background jobs are written by services only.
        | {"criteriachange": ("view",), "criteriajob": ("view",)},
    },
    # The audit report in Django admin, read only; no patient page (views check the role).
    AUDITOR: {"intake": {"auditevent": ("view",)}},
    # Authorization coordinators assemble what payers need: they read the record and attach
    # (or withdraw, when attached by mistake) documents; they change no answer and decide nothing.
    AUTHORIZATION: {
        "intake": {
            "patient": ("view",),
            "intake": ("view",),
            "screening": ("view",),
            "decision": ("view",),
            "intakedocument": ("add", "view", "withdraw"),
        },
        # They open, edit and track the packets; a physician attests them.
        "authorization": {
            "authorizationpacket": ("add", "change", "view"),
            "packetstatuschange": ("add", "view"),
        },
    },
}


def roles_of(user: User | AnonymousUser) -> set[str]:
    """The user's role names, cached on the user object for the request."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._role_names = cached  # type: ignore[union-attr]
    return cached


def has_role(user: User | AnonymousUser, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))
