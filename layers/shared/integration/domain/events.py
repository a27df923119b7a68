"""Domain events. A state change records its event in the same write as the change.

The recorded event is the outbox entry that the relay (see the events issue) publishes to
EventBridge with ``detail-type`` = :attr:`DomainEvent.event_type`. ``detail`` never holds a
secret, a hash or a key prefix; its times are :func:`~integration.domain.clock.format_timestamp`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integration.domain.clock import format_timestamp
from integration.domain.ids import new_id

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class DomainEvent:
    event_type: str
    tenant_id: str
    aggregate_id: str
    occurred_at: datetime
    data: dict[str, Any]
    event_id: str = ""  # empty: a new ``evt_`` id of ``occurred_at``'s millisecond
    version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        # The id is a ULID of the event's own time (to the ms), so the tenant's event log keeps
        # it as the event's id there (see integration.domain.event_log.logged_event_id).
        if not self.event_id:
            object.__setattr__(self, "event_id", new_id("evt", int(self.occurred_at.timestamp() * 1000)))

    @property
    def detail(self) -> dict[str, Any]:
        """The EventBridge ``detail``: the event's data plus id, time and schema version."""
        return {
            **self.data,
            "eventId": self.event_id,
            "occurredAt": format_timestamp(self.occurred_at),
            "version": self.version,
        }


@dataclass(frozen=True)
class RecordedEvent:
    """A domain event as the outbox holds it, ready to publish: ``detail`` is the exact JSON
    recorded with the change, so every re-publish carries the same ``eventId``."""

    event_id: str
    event_type: str
    tenant_id: str
    aggregate_id: str
    occurred_at: datetime
    detail: str


def api_key_created(*, api_key_id: str, tenant_id: str, name: str, created_by: str, at: datetime) -> DomainEvent:
    return DomainEvent(
        event_type="ApiKeyCreated",
        tenant_id=tenant_id,
        aggregate_id=api_key_id,
        occurred_at=at,
        data={"apiKeyId": api_key_id, "tenantId": tenant_id, "name": name, "createdBy": created_by},
    )


def api_key_revoked(*, api_key_id: str, tenant_id: str, at: datetime, reason: str = "requested") -> DomainEvent:
    """``reason``: :data:`~integration.domain.api_keys.REVOKED_REQUESTED` (the API) or
    :data:`~integration.domain.api_keys.REVOKED_LEAKED` (a leaked key an operator revoked)."""
    return DomainEvent(
        event_type="ApiKeyRevoked",
        tenant_id=tenant_id,
        aggregate_id=api_key_id,
        occurred_at=at,
        data={"apiKeyId": api_key_id, "tenantId": tenant_id, "reason": reason},
    )


def api_key_rolled(
    *, api_key_id: str, tenant_id: str, previous_api_key_id: str, previous_key_expires_at: datetime, created_by: str, at: datetime
) -> DomainEvent:
    """A key replaced by a new one (``api_key_id``); the old one works until ``previous_key_expires_at``."""
    return DomainEvent(
        event_type="ApiKeyRolled",
        tenant_id=tenant_id,
        aggregate_id=api_key_id,
        occurred_at=at,
        data={
            "apiKeyId": api_key_id,
            "tenantId": tenant_id,
            "previousApiKeyId": previous_api_key_id,
            "previousKeyExpiresAt": format_timestamp(previous_key_expires_at),
            "createdBy": created_by,
        },
    )


def api_key_updated(*, api_key_id: str, tenant_id: str, changes: list[str], at: datetime) -> DomainEvent:
    """``changes``: the names of the fields that changed (never their values: metadata is the tenant's)."""
    return DomainEvent(
        event_type="ApiKeyUpdated",
        tenant_id=tenant_id,
        aggregate_id=api_key_id,
        occurred_at=at,
        data={"apiKeyId": api_key_id, "tenantId": tenant_id, "changes": list(changes)},
    )


def webhook_created(*, webhook_id: str, tenant_id: str, name: str, url: str, at: datetime) -> DomainEvent:
    return DomainEvent(
        event_type="WebhookCreated",
        tenant_id=tenant_id,
        aggregate_id=webhook_id,
        occurred_at=at,
        data={"webhookId": webhook_id, "tenantId": tenant_id, "name": name, "url": url},
    )


def webhook_updated(*, webhook_id: str, tenant_id: str, changes: dict[str, Any], at: datetime) -> DomainEvent:
    """``changes``: each changed field's new value (never the secret)."""
    return DomainEvent(
        event_type="WebhookUpdated",
        tenant_id=tenant_id,
        aggregate_id=webhook_id,
        occurred_at=at,
        data={"webhookId": webhook_id, "tenantId": tenant_id, "changes": changes},
    )


def webhook_deleted(*, webhook_id: str, tenant_id: str, at: datetime) -> DomainEvent:
    return DomainEvent(
        event_type="WebhookDeleted",
        tenant_id=tenant_id,
        aggregate_id=webhook_id,
        occurred_at=at,
        data={"webhookId": webhook_id, "tenantId": tenant_id},
    )


def webhook_secret_rotated(*, webhook_id: str, tenant_id: str, previous_secret_expires_at: datetime | None, at: datetime) -> DomainEvent:
    """Never the secrets themselves: only when the old one stops signing."""
    expires = None if previous_secret_expires_at is None else format_timestamp(previous_secret_expires_at)
    return DomainEvent(
        event_type="WebhookSecretRotated",
        tenant_id=tenant_id,
        aggregate_id=webhook_id,
        occurred_at=at,
        data={"webhookId": webhook_id, "tenantId": tenant_id, "previousSecretExpiresAt": expires},
    )


def webhook_disabled(
    *, webhook_id: str, tenant_id: str, failing_since: datetime, at: datetime, reason: str = "every delivery attempt failed"
) -> DomainEvent:
    """``reason``: one of :data:`integration.domain.webhooks.DISABLED_FAILING` (the default)
    and :data:`~integration.domain.webhooks.DISABLED_GONE`; ``failing_since``: when the run of
    failed attempts that ended in it began (the disabling attempt itself, for a first failure)."""
    return DomainEvent(
        event_type="WebhookDisabled",
        tenant_id=tenant_id,
        aggregate_id=webhook_id,
        occurred_at=at,
        data={
            "webhookId": webhook_id,
            "tenantId": tenant_id,
            "reason": reason,
            "failingSince": format_timestamp(failing_since),
        },
    )
