"""The webhook delivery log on the single table; see :mod:`integration.infrastructure.table`.

One item per message, under the webhook's own partition ``TENANT#<t>#WEBHOOK#<id>`` (a busy
webhook's log never shares write capacity with its tenant's other items), sort key
``MSG#<message id>`` (message ids start with the event's time, so a Query reads newest first).
Its attempts are a list inside the item, each written by one UpdateItem. ``GSI1`` holds it under
``TENANT#<t>#WEBHOOK#<id>#DELIVERIES#<status>`` to list one status with one Query. Records
expire by TTL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from integration.domain.deliveries import (
    MESSAGE_ID_PREFIX,
    AttemptTrigger,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookMessage,
)
from integration.domain.errors import ConflictError
from integration.domain.ids import id_bounds
from integration.domain.pagination import Page
from integration.infrastructure.table import (
    GSI1,
    TTL_ATTRIBUTE,
    epoch_seconds,
    from_item,
    get_item,
    iso,
    parse_iso,
    query_listing,
    tenant_pk,
    to_item,
)

MESSAGE_SK_PREFIX = "MSG#"
ENTITY = "WebhookDelivery"
_MAX_BATCH_GET = 100  # DynamoDB's BatchGetItem takes at most 100 keys
_MAX_BATCH_GET_ROUNDS = 5


def _partition(tenant_id: str, webhook_id: str) -> str:
    return f"{tenant_pk(tenant_id)}#WEBHOOK#{webhook_id}"


def _status_partition(tenant_id: str, webhook_id: str, status: DeliveryStatus) -> str:
    return f"{_partition(tenant_id, webhook_id)}#DELIVERIES#{status.value}"


def _key(tenant_id: str, webhook_id: str, message_id: str) -> dict[str, Any]:
    return to_item({"PK": _partition(tenant_id, webhook_id), "SK": MESSAGE_SK_PREFIX + message_id})


def _message_values(message: WebhookMessage) -> dict[str, Any]:
    return {
        "entity": ENTITY,
        "id": message.id,
        "tenant_id": message.tenant_id,
        "webhook_id": message.webhook_id,
        "event_type": message.event_type,
        "event_id": message.event_id,
        "timestamp": iso(message.timestamp),
        # JSON text, not a map: event data may hold floats, which DynamoDB maps cannot.
        "payload": json.dumps(message.data, separators=(",", ":"), ensure_ascii=False),
        **({"test": True} if message.test else {}),  # only on test samples: real records stay as they were
    }


def _attempt_values(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "at": iso(attempt.at),
        "trigger": attempt.trigger.value,
        "status_code": attempt.status_code,
        "duration_ms": attempt.duration_ms,
        "error": attempt.error,
        "response_body": attempt.response_body,
    }


def _to_delivery(item: dict[str, Any]) -> Delivery:
    values = from_item(item)
    timestamp = parse_iso(values["timestamp"])
    created_at = parse_iso(values["created_at"])
    updated_at = parse_iso(values["updated_at"])
    assert timestamp is not None and created_at is not None and updated_at is not None
    message = WebhookMessage(
        id=values["id"],
        tenant_id=values["tenant_id"],
        webhook_id=values["webhook_id"],
        event_type=values["event_type"],
        event_id=values.get("event_id"),
        timestamp=timestamp,
        data=json.loads(values["payload"]),
        test=values.get("test") is True,
    )
    attempts = tuple(
        DeliveryAttempt(
            at=parse_iso(raw["at"]),  # type: ignore[arg-type]
            trigger=AttemptTrigger(raw["trigger"]),
            status_code=None if raw.get("status_code") is None else int(raw["status_code"]),
            duration_ms=int(raw["duration_ms"]),
            error=raw.get("error"),
            response_body=raw.get("response_body", ""),
        )
        for raw in values.get("attempts", [])
    )
    return Delivery(
        message=message,
        status=DeliveryStatus(values["status"]),
        attempts=attempts,
        created_at=created_at,
        updated_at=updated_at,
        next_attempt_at=parse_iso(values.get("next_attempt_at")),
        dropped_reason=values.get("dropped_reason"),
    )


class DynamoDBDeliveryLog:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def add_pending(self, delivery: Delivery, *, expires_at: datetime) -> None:
        message = delivery.message
        item = {
            "PK": _partition(message.tenant_id, message.webhook_id),
            "SK": MESSAGE_SK_PREFIX + message.id,
            "GSI1PK": _status_partition(message.tenant_id, message.webhook_id, DeliveryStatus.PENDING),
            "GSI1SK": MESSAGE_SK_PREFIX + message.id,
            **_message_values(message),
            "status": DeliveryStatus.PENDING.value,
            "attempts": [],
            "created_at": iso(delivery.created_at),
            "updated_at": iso(delivery.updated_at),
            "next_attempt_at": iso(delivery.next_attempt_at),
            TTL_ATTRIBUTE: epoch_seconds(expires_at),
        }
        self._client.put_item(TableName=self._table, Item=to_item(item), ConditionExpression="attribute_not_exists(PK)")

    def mark_pending(self, delivery: Delivery, now: datetime) -> None:
        """Pending again for a manual retry; :class:`ConflictError` if it already is (two
        retries at once: only one wins)."""
        try:
            self._set_status(delivery.message, DeliveryStatus.PENDING, now, next_attempt_at=now, unless_pending=True)
        except self._client.exceptions.ConditionalCheckFailedException:
            raise ConflictError(f"delivery {delivery.message.id} is already pending") from None

    def restore_status(self, delivery: Delivery, now: datetime) -> None:
        self._set_status(delivery.message, delivery.status, now, next_attempt_at=delivery.next_attempt_at, unless_pending=False)

    def _set_status(
        self, message: WebhookMessage, status: DeliveryStatus, now: datetime, *, next_attempt_at: datetime | None, unless_pending: bool
    ) -> None:
        values = {
            ":status": status.value,
            ":gsi1pk": _status_partition(message.tenant_id, message.webhook_id, status),
            ":now": iso(now),
        }
        expression = "SET #status = :status, GSI1PK = :gsi1pk, updated_at = :now"
        if next_attempt_at is None:
            expression += " REMOVE dropped_reason, next_attempt_at"
        else:
            expression = expression.replace("SET ", "SET next_attempt_at = :next, ", 1) + " REMOVE dropped_reason"
            values[":next"] = iso(next_attempt_at)
        condition = "attribute_exists(PK)"
        if unless_pending:
            condition += " AND #status <> :pending"
            values[":pending"] = DeliveryStatus.PENDING.value
        self._client.update_item(
            TableName=self._table,
            Key=_key(message.tenant_id, message.webhook_id, message.id),
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_item(values),
        )

    def record_attempt(
        self, message: WebhookMessage, attempt: DeliveryAttempt, status: DeliveryStatus, *, next_attempt_at: datetime | None, expires_at: datetime
    ) -> None:
        """One UpdateItem: append the attempt, set the status; on a fanned-out message's first
        attempt it also creates the record (every message field is ``if_not_exists``)."""
        names = {"#status": "status", "#ttl": TTL_ATTRIBUTE, "#attempts": "attempts", "#count": "attempt_count"}
        values: dict[str, Any] = {
            ":status": status.value,
            ":gsi1pk": _status_partition(message.tenant_id, message.webhook_id, status),
            ":gsi1sk": MESSAGE_SK_PREFIX + message.id,
            ":now": iso(attempt.at),
            ":attempt": [_attempt_values(attempt)],
            ":empty": [],
            ":zero": 0,
            ":one": 1,
            ":ttl": epoch_seconds(expires_at),
        }
        assignments = [
            "#status = :status",
            "GSI1PK = :gsi1pk",
            "GSI1SK = :gsi1sk",
            "updated_at = :now",
            "#attempts = list_append(if_not_exists(#attempts, :empty), :attempt)",
            "#count = if_not_exists(#count, :zero) + :one",
            "created_at = if_not_exists(created_at, :now)",
            "#ttl = if_not_exists(#ttl, :ttl)",
        ]
        for position, (name, value) in enumerate(_message_values(message).items()):
            if value is None:
                continue
            names[f"#m{position}"] = name
            values[f":m{position}"] = value
            assignments.append(f"#m{position} = if_not_exists(#m{position}, :m{position})")
        expression = "SET " + ", ".join(assignments)
        if next_attempt_at is None:
            expression += " REMOVE next_attempt_at"
        else:
            expression = expression.replace("SET ", "SET next_attempt_at = :next, ", 1)
            values[":next"] = iso(next_attempt_at)
        self._client.update_item(
            TableName=self._table,
            Key=_key(message.tenant_id, message.webhook_id, message.id),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item(values),
        )

    def mark_dropped(self, message: WebhookMessage, reason: str, now: datetime) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(message.tenant_id, message.webhook_id, message.id),
                UpdateExpression="SET #status = :failed, GSI1PK = :gsi1pk, updated_at = :now, dropped_reason = :reason REMOVE next_attempt_at",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":failed": DeliveryStatus.FAILED.value,
                        ":gsi1pk": _status_partition(message.tenant_id, message.webhook_id, DeliveryStatus.FAILED),
                        ":now": iso(now),
                        ":reason": reason,
                    }
                ),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            pass  # a fanned-out message never attempted: there is nothing to mark

    def get(self, tenant_id: str, webhook_id: str, message_id: str) -> Delivery | None:
        item = get_item(self._client, self._table, _partition(tenant_id, webhook_id), MESSAGE_SK_PREFIX + message_id)
        return None if item is None else _to_delivery(item)

    def get_many(self, tenant_id: str, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Delivery]:
        """The tenant's deliveries of these ``(webhook id, message id)`` pairs that are logged,
        with one BatchGetItem per 100 pairs (and again for what it leaves unprocessed)."""
        found: dict[tuple[str, str], Delivery] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _MAX_BATCH_GET):
            chunk = unique[start : start + _MAX_BATCH_GET]
            request: dict[str, Any] = {
                self._table: {"Keys": [_key(tenant_id, webhook_id, message_id) for webhook_id, message_id in chunk], "ConsistentRead": True}
            }
            for _ in range(_MAX_BATCH_GET_ROUNDS):
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    delivery = _to_delivery(item)
                    found[(delivery.message.webhook_id, delivery.message.id)] = delivery
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
        return found

    def list(
        self,
        tenant_id: str,
        webhook_id: str,
        *,
        status: DeliveryStatus | None,
        limit: int,
        cursor: str | None,
        event_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Page[Delivery]:
        """Newest first. ``since``/``until`` are a key range on the message id (a ULID of the
        event's time); ``event_type`` is a filter on the items read, so such a page may hold
        fewer than ``limit`` deliveries and still have a cursor (see
        :func:`~integration.infrastructure.table.query_page`)."""
        listing = f"{webhook_id}:{status.value if status is not None else ''}"
        if event_type is not None or since is not None or until is not None:
            listing += f":{event_type or ''}:{_listing_time(since)}:{_listing_time(until)}"
        low, high = id_bounds(MESSAGE_ID_PREFIX, since, until)
        return query_listing(
            self._client,
            self._table,
            tenant_id=tenant_id,
            pk=_partition(tenant_id, webhook_id),
            sort_key_prefix=MESSAGE_SK_PREFIX,
            index_pk=None if status is None else _status_partition(tenant_id, webhook_id, status),
            limit=limit,
            cursor=cursor,
            convert=_to_delivery,
            listing=listing,
            sort_key_range=(low, high),
            filter_expression=None if event_type is None else ("event_type = :event_type", {}, {":event_type": event_type}),
        )

    def failed_in_window(
        self, tenant_id: str, webhook_id: str, *, since: datetime, until: datetime, after: str | None, limit: int
    ) -> list[Delivery]:
        """One Query on ``GSI1`` (the webhook's failed messages), ascending: message ids start
        with their time, so the window is a range of sort keys; ``after`` moves its start past
        that id (ids have one length, so ``id + "!"`` sorts after it and before every later id)."""
        low, high = id_bounds(MESSAGE_ID_PREFIX, since, until)
        assert low is not None and high is not None
        if after is not None and after >= low:
            low = after + "!"
        if low > high:
            return []
        response = self._client.query(
            TableName=self._table,
            IndexName=GSI1,
            KeyConditionExpression="GSI1PK = :pk AND GSI1SK BETWEEN :low AND :high",
            ExpressionAttributeValues=to_item(
                {
                    ":pk": _status_partition(tenant_id, webhook_id, DeliveryStatus.FAILED),
                    ":low": MESSAGE_SK_PREFIX + low,
                    ":high": MESSAGE_SK_PREFIX + high,
                }
            ),
            ScanIndexForward=True,
            Limit=limit,
        )
        return [_to_delivery(item) for item in response.get("Items", [])]


def _listing_time(value: datetime | None) -> str:
    return "" if value is None else str(int(value.timestamp() * 1000))
