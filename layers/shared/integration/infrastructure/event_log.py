"""The tenant's event log on the single table; see :mod:`integration.infrastructure.table`.

One item per event and tenant in the tenant's own log partition ``TENANT#<t>#EVENTS``, sort key
``EVENT#<event id>`` (ids are ULIDs of the event's time: a Query reads newest first, and a time
window is a range of sort keys). ``GSI1`` holds it under ``TENANT#<t>#EVENTS#TYPE#<type>`` with
the same sort key, so one type is one Query too. ``webhook_ids`` is a string set that every
write ``ADD``s to. Records expire by TTL (``EventLogRetentionInDays``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from integration.domain.deliveries import TenantEvent
from integration.domain.event_log import EVENT_ID_PREFIX, LoggedEvent, logged_event_id
from integration.domain.ids import id_bounds
from integration.domain.pagination import Page
from integration.infrastructure.table import (
    TTL_ATTRIBUTE,
    epoch_seconds,
    from_item,
    get_item,
    iso,
    parse_iso,
    query_listing,
    sort_key_condition,
    tenant_pk,
    to_item,
)

EVENT_SK_PREFIX = "EVENT#"
ENTITY = "LoggedEvent"


def _partition(tenant_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#EVENTS"


def _type_partition(tenant_id: str, event_type: str) -> str:
    return f"{_partition(tenant_id)}#TYPE#{event_type}"


def _key(tenant_id: str, event_id: str) -> dict[str, Any]:
    return to_item({"PK": _partition(tenant_id), "SK": EVENT_SK_PREFIX + event_id})


def _to_event(item: dict[str, Any]) -> LoggedEvent:
    values = from_item(item)
    occurred_at = parse_iso(values["occurred_at"])
    assert occurred_at is not None
    return LoggedEvent(
        id=values["id"],
        tenant_id=values["tenant_id"],
        event_type=values["event_type"],
        source_id=values["source_id"],
        occurred_at=occurred_at,
        data=json.loads(values["payload"]),
        webhook_ids=tuple(sorted(values.get("webhook_ids", ()))),
    )


def _window(since: datetime | None, until: datetime | None) -> tuple[str | None, str | None]:
    return id_bounds(EVENT_ID_PREFIX, since, until)


def _listing_time(value: datetime | None) -> str:
    return "" if value is None else str(int(value.timestamp() * 1000))


class DynamoDBEventLog:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, event: TenantEvent, webhook_ids: Sequence[str], *, expires_at: datetime) -> LoggedEvent:
        """One UpdateItem: every field ``if_not_exists`` (the first record stays), the webhook
        ids ``ADD``ed to the set."""
        event_id = logged_event_id(event.event_key, event.occurred_at)
        fields = {
            "entity": ENTITY,
            "GSI1PK": _type_partition(event.tenant_id, event.event_type),
            "GSI1SK": EVENT_SK_PREFIX + event_id,
            "id": event_id,
            "tenant_id": event.tenant_id,
            "event_type": event.event_type,
            "source_id": event.event_key,
            "occurred_at": iso(event.occurred_at.astimezone(UTC)),
            # JSON text, not a map: event data may hold floats, which DynamoDB maps cannot.
            "payload": json.dumps(event.data, separators=(",", ":"), ensure_ascii=False),
            "recorded_at": iso(datetime.now(UTC)),
            TTL_ATTRIBUTE: epoch_seconds(expires_at),
        }
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        assignments = []
        for position, (name, value) in enumerate(fields.items()):
            names[f"#f{position}"] = name
            values[f":f{position}"] = value
            assignments.append(f"#f{position} = if_not_exists(#f{position}, :f{position})")
        expression = "SET " + ", ".join(assignments)
        if webhook_ids:
            expression += " ADD webhook_ids :webhooks"
            values[":webhooks"] = set(webhook_ids)
        response = self._client.update_item(
            TableName=self._table,
            Key=_key(event.tenant_id, event_id),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item(values),
            ReturnValues="ALL_NEW",
        )
        return _to_event(response["Attributes"])

    def add_webhooks(self, tenant_id: str, event_id: str, webhook_ids: Sequence[str]) -> None:
        if not webhook_ids:
            return
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(tenant_id, event_id),
                UpdateExpression="ADD webhook_ids :webhooks",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues=to_item({":webhooks": set(webhook_ids)}),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            pass  # expired meanwhile: nothing to note it on

    def get(self, tenant_id: str, event_id: str) -> LoggedEvent | None:
        item = get_item(self._client, self._table, _partition(tenant_id), EVENT_SK_PREFIX + event_id)
        return None if item is None else _to_event(item)

    def list(
        self,
        tenant_id: str,
        *,
        event_type: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> Page[LoggedEvent]:
        return query_listing(
            self._client,
            self._table,
            tenant_id=tenant_id,
            pk=_partition(tenant_id),
            sort_key_prefix=EVENT_SK_PREFIX,
            index_pk=None if event_type is None else _type_partition(tenant_id, event_type),
            limit=limit,
            cursor=cursor,
            convert=_to_event,
            listing=f"events:{event_type or ''}:{_listing_time(since)}:{_listing_time(until)}",
            sort_key_range=_window(since, until),
        )

    def read_window(
        self, tenant_id: str, *, since: datetime, until: datetime, after: str | None, limit: int
    ) -> list[LoggedEvent]:
        low, high = _window(since, until)
        condition, values = sort_key_condition("SK", EVENT_SK_PREFIX, low, high)
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": f"PK = :pk AND {condition}",
            "ExpressionAttributeValues": to_item(values | {":pk": _partition(tenant_id)}),
            "ConsistentRead": True,
            "ScanIndexForward": True,
            "Limit": limit,
        }
        if after is not None:
            params["ExclusiveStartKey"] = _key(tenant_id, after)
        return [_to_event(item) for item in self._client.query(**params).get("Items", [])]
