"""API key use cases: create, list, get, revoke. Authenticating a key (the authorizer's) lives in
:mod:`integration.application.authentication`; it is importable from here too."""

from __future__ import annotations

from datetime import datetime

from integration.application.authentication import AuthenticateApiKeyUseCase
from integration.application.lookups import tenant_api_key
from integration.domain.api_keys import (
    ApiKey,
    IssuedApiKey,
    expiry_within_creator,
    issue_api_key,
    normalise_scopes,
)
from integration.domain.clock import Clock, utc_now
from integration.domain.events import api_key_created, api_key_revoked
from integration.domain.pagination import Page
from integration.domain.principal import Principal
from integration.domain.repositories import ApiKeyRepository

__all__ = [
    "AuthenticateApiKeyUseCase",
    "CreateApiKeyUseCase",
    "GetApiKeyUseCase",
    "ListApiKeysUseCase",
    "RevokeApiKeyUseCase",
]


class CreateApiKeyUseCase:
    """Create a key for the caller's tenant. It holds at most the caller's scopes, expires no
    later than the caller's key (see :func:`expiry_within_creator`), and records who made it."""

    def __init__(self, repository: ApiKeyRepository, clock: Clock = utc_now) -> None:
        self._repository = repository
        self._clock = clock

    def execute(self, principal: Principal, *, name: str, scopes: list[str], expires_at: datetime | None) -> IssuedApiKey:
        now = self._clock()
        issued = issue_api_key(
            tenant_id=principal.tenant_id,
            name=name,
            scopes=normalise_scopes(scopes, principal.scopes),
            expires_at=expiry_within_creator(expires_at, principal.expires_at),
            now=now,
            created_by=principal.credential_id,
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

    def execute(self, principal: Principal, api_key_id: str) -> ApiKey:
        key = tenant_api_key(self._repository, principal, api_key_id)
        if key.revoked_at is not None:
            return key
        now = self._clock()
        revoked = key.revoked(now)
        event = api_key_revoked(api_key_id=key.id, tenant_id=key.tenant_id, at=now)
        if not self._repository.save_revocation(revoked, event):
            # A concurrent revoke won the race: answer what is stored now.
            return self._repository.get(principal.tenant_id, api_key_id) or revoked
        return revoked
