"""API key use cases: create, list, get, update (PATCH), roll, revoke, and revoke a leaked key.
Authenticating a key (the authorizer's) lives in :mod:`integration.application.authentication`;
it is importable from here too."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from integration.application.authentication import AuthenticateApiKeyUseCase
from integration.application.lookups import tenant_api_key
from integration.domain import key_format
from integration.domain.api_key import REVOKED_LEAKED, REVOKED_REQUESTED, ApiKey
from integration.domain.api_key_patch import ApiKeyPatch
from integration.domain.api_keys import (
    DEFAULT_ROLL_GRACE,
    IssuedApiKey,
    RolledApiKey,
    expiry_within_creator,
    issue_api_key,
    normalise_scopes,
    roll_api_key,
)
from integration.domain.clock import Clock, utc_now
from integration.domain.errors import ConflictError, InvalidFieldError, NotFoundError
from integration.domain.events import api_key_created, api_key_revoked, api_key_rolled, api_key_updated
from integration.domain.pagination import Page
from integration.domain.principal import Principal, operator
from integration.domain.repositories import ApiKeyRepository
from integration.domain.scopes import SERVICE_SCOPES, ScopeCatalogue

MAX_WRITE_ATTEMPTS = 8
"""A change whose key another writer changed meanwhile is computed again on the key as it is now,
at most this many times, then 409."""

__all__ = [
    "AuthenticateApiKeyUseCase",
    "CreateApiKeyUseCase",
    "GetApiKeyUseCase",
    "ListApiKeysUseCase",
    "RevokeApiKeyUseCase",
    "RevokeLeakedApiKeyUseCase",
    "RollApiKeyUseCase",
    "UpdateApiKeyUseCase",
]


class CreateApiKeyUseCase:
    """Create a key for the caller's tenant. It holds at most the caller's scopes, expires no
    later than the caller's key (see :func:`expiry_within_creator`), and records who made it.
    Its scopes are ones ``catalogue`` knows: the service's and the deployment's platform scopes."""

    def __init__(self, repository: ApiKeyRepository, clock: Clock = utc_now, catalogue: ScopeCatalogue = SERVICE_SCOPES) -> None:
        self._repository = repository
        self._clock = clock
        self._catalogue = catalogue

    def execute(
        self,
        principal: Principal,
        *,
        name: str,
        scopes: list[str],
        expires_at: datetime | None,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> IssuedApiKey:
        now = self._clock()
        issued = issue_api_key(
            tenant_id=principal.tenant_id,
            name=name,
            scopes=normalise_scopes(scopes, principal.scopes, self._catalogue),
            expires_at=expiry_within_creator(expires_at, principal.expires_at),
            now=now,
            created_by=principal.credential_id,
            description=description,
            metadata=metadata,
        )
        key = issued.api_key
        event = api_key_created(api_key_id=key.id, tenant_id=key.tenant_id, name=key.name, created_by=key.created_by, at=now)
        self._repository.add(key, event)
        return issued


class ListApiKeysUseCase:
    def __init__(self, repository: ApiKeyRepository) -> None:
        self._repository = repository

    def execute(self, principal: Principal, *, created_by: str | None = None, limit: int, cursor: str | None) -> Page[ApiKey]:
        """The tenant's keys, newest first; with ``created_by``, only those that credential made."""
        return self._repository.list(principal.tenant_id, created_by=created_by, limit=limit, cursor=cursor)


class GetApiKeyUseCase:
    def __init__(self, repository: ApiKeyRepository) -> None:
        self._repository = repository

    def execute(self, principal: Principal, api_key_id: str) -> ApiKey:
        return tenant_api_key(self._repository, principal, api_key_id)


class RevokeApiKeyUseCase:
    """Revoke a key. Revoking a revoked key is harmless: it answers the key as it is."""

    def __init__(self, repository: ApiKeyRepository, clock: Clock = utc_now) -> None:
        self._repository = repository
        self._clock = clock

    def execute(self, principal: Principal, api_key_id: str, *, reason: str = REVOKED_REQUESTED) -> ApiKey:
        """``reason``: ``requested`` (the API's), ``leaked`` (:class:`RevokeLeakedApiKeyUseCase`'s)."""
        key = tenant_api_key(self._repository, principal, api_key_id)
        if key.revoked_at is not None:
            return key
        now = self._clock()
        revoked = key.revoked(now, reason)
        event = api_key_revoked(api_key_id=key.id, tenant_id=key.tenant_id, at=now, reason=reason)
        if not self._repository.save_revocation(revoked, event):
            # A concurrent revoke won the race: answer what is stored now.
            return self._repository.get(principal.tenant_id, api_key_id) or revoked
        return revoked


class UpdateApiKeyUseCase:
    """PATCH: change a key's name, description or metadata, or narrow its scopes (a
    :class:`ApiKeyPatch`). Key, lookup and ``ApiKeyUpdated`` (the changed fields' names) are one
    write; a patch that changes nothing writes nothing. A revoked key is a conflict (409)."""

    def __init__(self, repository: ApiKeyRepository, clock: Clock = utc_now) -> None:
        self._repository = repository
        self._clock = clock

    def execute(self, principal: Principal, api_key_id: str, patch: ApiKeyPatch) -> ApiKey:
        key = tenant_api_key(self._repository, principal, api_key_id)
        for _ in range(MAX_WRITE_ATTEMPTS):
            updated, changes = key.patched(patch)
            if not changes:
                return key
            event = api_key_updated(api_key_id=key.id, tenant_id=key.tenant_id, changes=changes, at=self._clock())
            if self._repository.save_update(updated, event, expected=key):
                return updated
            key = tenant_api_key(self._repository, principal, api_key_id)  # changed meanwhile: again on top of it
        raise ConflictError(f"API key {api_key_id} kept changing while it was being updated; try again")


class RollApiKeyUseCase:
    """Replace a key with a new one that has the same name, description, scopes and metadata
    (Stripe's roll). The old key keeps working for ``grace`` (default 24 hours, 0 to 7 days),
    never past its own expiry. The new key, its lookup, the old key's new expiry and
    ``ApiKeyRolled`` are one write, conditional on the old key being as it was read. A revoked or
    expired key is a conflict (409); the caller must hold every scope of the key."""

    def __init__(self, repository: ApiKeyRepository, clock: Clock = utc_now) -> None:
        self._repository = repository
        self._clock = clock

    def execute(self, principal: Principal, api_key_id: str, *, grace: timedelta = DEFAULT_ROLL_GRACE) -> RolledApiKey:
        key = tenant_api_key(self._repository, principal, api_key_id)
        for _ in range(MAX_WRITE_ATTEMPTS):
            now = self._clock()
            rolled = roll_api_key(
                key,
                grace=grace,
                now=now,
                created_by=principal.credential_id,
                creator_scopes=principal.scopes,
                creator_expires_at=principal.expires_at,
            )
            new_key = rolled.issued.api_key
            event = api_key_rolled(
                api_key_id=new_key.id,
                tenant_id=new_key.tenant_id,
                previous_api_key_id=key.id,
                previous_key_expires_at=rolled.previous.expires_at or now,
                created_by=new_key.created_by,
                at=now,
            )
            if self._repository.save_roll(new_key, rolled.previous, event, expected=key):
                return rolled
            key = tenant_api_key(self._repository, principal, api_key_id)  # revoked, rolled or expired meanwhile
        raise ConflictError(f"API key {api_key_id} kept changing while it was being rolled; try again")


class RevokeLeakedApiKeyUseCase:
    """An operator's answer to a leaked key (a secret-scanning report): the plaintext's checksum
    is checked (``key``: :class:`InvalidFieldError`), the key found by its hash (the authorizer's
    one read; :class:`NotFoundError` when unknown) and revoked with reason ``leaked`` as the
    operator of its tenant, recording ``ApiKeyRevoked``. An already revoked key is answered as it
    is. Returns the key, so the caller can tell its tenant and id; never logs the plaintext."""

    def __init__(self, repository: ApiKeyRepository, clock: Clock = utc_now, catalogue: ScopeCatalogue = SERVICE_SCOPES) -> None:
        self._repository = repository
        self._revoke = RevokeApiKeyUseCase(repository, clock)
        self._catalogue = catalogue

    def execute(self, plaintext: str) -> ApiKey:
        plaintext = plaintext.strip()
        if not key_format.is_well_formed(plaintext):
            raise InvalidFieldError("key", "is not an API key of this service: wrong prefix, length or checksum")
        found = self._repository.find_by_hash(key_format.hash_key(plaintext))
        if found is None:
            raise NotFoundError("API key", key_format.display_prefix(plaintext) + "...")
        return self._revoke.execute(operator(found.tenant_id, self._catalogue), found.id, reason=REVOKED_LEAKED)
