"""FHIR API clients: creating one (its token shown once) and knowing one from a request.

A token is 32 random bytes (256 bits) in URL-safe base64; the database keeps only its SHA-256,
so a leaked copy of the database gives nobody a token. A random token that long needs no slow
password hash: nobody can guess it, and the digest is looked up directly.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from intake.models import FhirClient

BEARER = "bearer"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def fhir_client_create(*, name: str, scopes: Collection[str]) -> tuple[FhirClient, str]:
    """A new active client and its token (returned once, never stored)."""
    token = secrets.token_urlsafe(32)
    client = FhirClient(name=name, token_hash=token_digest(token), scopes=sorted(set(scopes)))
    client.full_clean()
    client.save()
    return client, token


def fhir_client_mark_used(*, client: FhirClient) -> None:
    """Record when the client last called (one UPDATE, no read)."""
    FhirClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None without one."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != BEARER or not token or len(token) > 200:
        return None
    return token


def client_with_token(token: str) -> FhirClient | None:
    """The client holding this token, active or not (None: no client has it)."""
    return FhirClient.objects.filter(token_hash=token_digest(token)).first()
