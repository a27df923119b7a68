"""The transactional outbox: a domain event as an item written in the same transaction as
the change it describes. The relay (events issue) reads these from the table's stream."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from integration.domain.events import DomainEvent, RecordedEvent
from integration.infrastructure.table import TTL_ATTRIBUTE, epoch_seconds, iso, parse_iso, tenant_pk, to_item

OUTBOX_ENTITY = "OutboxEvent"
OUTBOX_RETENTION = timedelta(days=7)


def outbox_put(table_name: str, event: DomainEvent) -> dict[str, Any]:
    """A TransactWriteItems ``Put`` entry recording ``event``."""
    item = {
        "PK": tenant_pk(event.tenant_id),
        "SK": f"OUTBOX#{event.aggregate_id}#{event.event_id}",
        "entity": OUTBOX_ENTITY,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "tenant_id": event.tenant_id,
        "aggregate_id": event.aggregate_id,
        "occurred_at": iso(event.occurred_at),
        "version": event.version,
        "detail": json.dumps(event.detail, separators=(",", ":"), sort_keys=True),
        TTL_ATTRIBUTE: epoch_seconds(event.occurred_at + OUTBOX_RETENTION),
    }
    return {
        "Put": {
            "TableName": table_name,
            "Item": to_item(item),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def recorded_event(image: dict[str, Any]) -> RecordedEvent:
    """An outbox item (as plain values, e.g. a stream record's NewImage) as a publishable event."""
    if image.get("entity") != OUTBOX_ENTITY:
        raise ValueError(f"not an outbox item: entity={image.get('entity')!r}")
    occurred_at = parse_iso(image["occurred_at"])
    assert occurred_at is not None
    return RecordedEvent(
        event_id=image["event_id"],
        event_type=image["event_type"],
        tenant_id=image["tenant_id"],
        aggregate_id=image["aggregate_id"],
        occurred_at=occurred_at,
        detail=image["detail"],
    )
