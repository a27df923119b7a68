"""Repository interfaces. The infrastructure layer implements them on DynamoDB."""

from __future__ import annotations

from typing import Protocol

from integration.domain.api_keys import ApiKey
from integration.domain.events import DomainEvent
from integration.domain.pagination import Page


class ApiKeyRepository(Protocol):
    def add(self, api_key: ApiKey, event: DomainEvent) -> None:
        """Store a new key and record its event, atomically."""

    def get(self, tenant_id: str, api_key_id: str) -> ApiKey | None:
        """The tenant's key, or None (also for another tenant's key)."""

    def list(self, tenant_id: str, *, limit: int, cursor: str | None) -> Page[ApiKey]:
        """The tenant's keys, newest first."""

    def save_revocation(self, api_key: ApiKey, event: DomainEvent) -> bool:
        """Mark the key revoked (key and lookup record) and record the event, atomically.

        Returns False, writing nothing, when the key was already revoked.
        """

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        """One consistent read by the key's hash; None when unknown."""
