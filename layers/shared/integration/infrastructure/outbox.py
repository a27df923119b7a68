"""The transactional outbox: a domain event as an item written in the same transaction as
the change it describes. The relay reads these from the table's stream; the sweeper finds the
ones it could not publish through the unpublished index.

Every outbox item is written **unpublished**: in the sparse index ``GSI1`` under
``OUTBOX#UNPUBLISHED#<shard>`` (the shard from the aggregate id, so one aggregate's events stay
in one partition, in order), sorted by ``<occurred_at>#<event id>``. Once the bus has taken the
event, :meth:`DynamoDBOutbox.mark_published` removes the index keys and sets ``published_at``.
So the events still to publish are one Query per shard: the cost is O(unpublished), never a
scan. Items expire (TTL) after :data:`OUTBOX_RETENTION`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from integration.domain.events import DomainEvent, RecordedEvent
from integration.infrastructure.table import (
    GSI1,
    TTL_ATTRIBUTE,
    epoch_seconds,
    from_item,
    iso,
    parse_iso,
    sortable_time,
    tenant_pk,
    to_item,
)

logger = Logger(child=True)

OUTBOX_ENTITY = "OutboxEvent"
OUTBOX_RETENTION = timedelta(days=7)
OUTBOX_SK_PREFIX = "OUTBOX#"
UNPUBLISHED_SHARDS = 4
"""Partitions of the unpublished index: spreads the index's writes; the sweeper reads them all."""
_MARKING_THREADS = 10


def _shard(aggregate_id: str) -> int:
    return int(hashlib.sha256(aggregate_id.encode("utf-8")).hexdigest()[:8], 16) % UNPUBLISHED_SHARDS


def unpublished_partition(shard: int) -> str:
    return f"OUTBOX#UNPUBLISHED#{shard}"




def outbox_put(table_name: str, event: DomainEvent) -> dict[str, Any]:
    """A TransactWriteItems ``Put`` entry recording ``event``."""
    item = {
        "PK": tenant_pk(event.tenant_id),
        "SK": f"{OUTBOX_SK_PREFIX}{event.aggregate_id}#{event.event_id}",
        "GSI1PK": unpublished_partition(_shard(event.aggregate_id)),
        "GSI1SK": f"{sortable_time(event.occurred_at)}#{event.event_id}",
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


class DynamoDBOutbox:
    """What is known about the outbox's events after they were recorded: which were published."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    @staticmethod
    def read(image: dict[str, Any]) -> RecordedEvent:
        """An outbox item as a stream record's NewImage holds it (attribute values typed, as the
        stream sends them): see :func:`recorded_event`."""
        return recorded_event(from_item(image))

    def mark_published(self, events: Sequence[RecordedEvent], at: datetime) -> None:
        """Take the events out of the unpublished index, one ``UpdateItem`` each, in parallel.

        Best effort: an event whose mark fails stays in the index and is published again later,
        with the same ``eventId``, which consumers deduplicate on. Never raises."""
        if not events:
            return
        with ThreadPoolExecutor(max_workers=min(_MARKING_THREADS, len(events))) as pool:
            failed = sum(1 for marked in pool.map(lambda event: self._mark(event, at), events) if not marked)
        if failed:
            logger.warning("could not mark published outbox events; they will be published again", unmarked=failed)

    def _mark(self, event: RecordedEvent, at: datetime) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_item({"PK": tenant_pk(event.tenant_id), "SK": f"{OUTBOX_SK_PREFIX}{event.aggregate_id}#{event.event_id}"}),
                UpdateExpression="REMOVE GSI1PK, GSI1SK SET published_at = :at",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues=to_item({":at": iso(at)}),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return True  # expired meanwhile: nothing left to mark
        except Exception as error:  # noqa: BLE001 - the event is on the bus; marking is best effort
            logger.warning("could not mark an outbox event published", event_id=event.event_id, error=type(error).__name__)
            return False
        return True

    def unpublished(self, *, since: datetime | None = None, until: datetime, limit: int) -> list[RecordedEvent]:
        """Events not marked published that occurred from ``since`` to ``until`` (both included),
        oldest first (by time, then id), at most ``limit``: one Query per shard of the index
        (eventually consistent: an event marked a moment ago may still be listed)."""
        bounds = {":upper": f"{sortable_time(until)}#~"}  # after every event id of that instant
        condition = "GSI1PK = :pk AND GSI1SK <= :upper"
        if since is not None:
            bounds[":lower"] = f"{sortable_time(since)}#"
            condition = "GSI1PK = :pk AND GSI1SK BETWEEN :lower AND :upper"
        found: list[RecordedEvent] = []
        for shard in range(UNPUBLISHED_SHARDS):
            params: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": GSI1,
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": to_item({":pk": unpublished_partition(shard), **bounds}),
                "Limit": limit,
            }
            shard_events: list[RecordedEvent] = []
            while len(shard_events) < limit:
                page = self._client.query(**params)
                shard_events += [recorded_event(from_item(item)) for item in page.get("Items", [])]
                if "LastEvaluatedKey" not in page:
                    break
                params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            found += shard_events[:limit]
        found.sort(key=lambda event: (event.occurred_at, event.event_id))
        return found[:limit]

    def recorded(self, tenant_id: str, *, since: datetime) -> list[RecordedEvent]:
        """Every event the tenant's outbox still holds (published or not) that occurred at or
        after ``since``, oldest first: a Query of the tenant's outbox items, at most
        :data:`OUTBOX_RETENTION` of them (for operators, never on a request path)."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": tenant_pk(tenant_id), ":prefix": OUTBOX_SK_PREFIX}),
            "ConsistentRead": True,
        }
        found: list[RecordedEvent] = []
        while True:
            page = self._client.query(**params)
            found += [recorded_event(from_item(item)) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted((event for event in found if event.occurred_at >= since), key=lambda event: (event.occurred_at, event.event_id))
