"""The webhook delivery queue (SQS): one message per (event, webhook); its attempts wait in it.

A queued attempt is a JSON body holding the whole :class:`WebhookMessage`, so the delivery
function needs no read to know what to send. Retries do not re-send: the delivery function
hides the received message until the next attempt is due (:meth:`SqsDeliveryQueue.retry_later`)
and reports it as a batch item failure, so SQS hands it back then, with its receive count (the
attempt number) one higher. The first attempt waits with ``DelaySeconds`` (at most 15 min).

Every message is sent with ``MessageGroupId`` = its tenant: on this standard queue that makes it
an SQS *fair queue*. When one tenant holds a disproportionate share of the messages being
processed, SQS hands the other tenants' messages to the delivery function first, so one
tenant's burst or slow endpoints do not hold up everyone else's deliveries. Unlike on a FIFO
queue, a group is neither ordered nor processed one message at a time. (A tenant id is 1 to
128 letters, digits and ``. _ : @ -``: a valid group id as it is.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from integration.domain.deliveries import WebhookMessage
from integration.infrastructure.table import iso, parse_iso

MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 256 * 1024
MAX_VISIBILITY_SECONDS = 12 * 60 * 60
MAX_DELAY_SECONDS = 15 * 60


def encode(message: WebhookMessage, *, manual: bool = False) -> str:
    return json.dumps(
        {
            "messageId": message.id,
            "tenantId": message.tenant_id,
            "webhookId": message.webhook_id,
            "eventType": message.event_type,
            "eventId": message.event_id,
            "timestamp": iso(message.timestamp),
            "data": message.data,
            "manual": manual,
            **({"test": True} if message.test else {}),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def decode(body: str) -> tuple[WebhookMessage, bool]:
    """The message and whether this is a manual (one-shot) attempt; ValueError if malformed."""
    try:
        values = json.loads(body)
        timestamp = parse_iso(values["timestamp"])
        message = WebhookMessage(
            id=str(values["messageId"]),
            tenant_id=str(values["tenantId"]),
            webhook_id=str(values["webhookId"]),
            event_type=str(values["eventType"]),
            event_id=values.get("eventId"),
            timestamp=timestamp,  # type: ignore[arg-type]
            data=values["data"],
            test=values.get("test") is True,  # absent in messages queued before test samples existed
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"not a delivery message: {error}") from None
    if timestamp is None or not isinstance(message.data, dict):
        raise ValueError("not a delivery message: timestamp and data are required")
    return message, bool(values.get("manual", False))


def _batches(entries: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    size = 0
    for entry in entries:
        entry_size = len(entry["MessageBody"].encode("utf-8"))
        if batch and (len(batch) == MAX_BATCH_ENTRIES or size + entry_size > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += entry_size
    if batch:
        yield batch


class SqsDeliveryQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, messages: Sequence[WebhookMessage], *, delay_seconds: int) -> set[str]:
        """SendMessageBatch, 10 (and at most 256 KB) at a time; the ids SQS did not accept."""
        delay = max(0, min(delay_seconds, MAX_DELAY_SECONDS))
        entries = [
            {"Id": message.id, "MessageBody": encode(message), "DelaySeconds": delay, "MessageGroupId": message.tenant_id}
            for message in messages
        ]
        failed: set[str] = set()
        for batch in _batches(entries):
            response = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=batch)
            failed |= {entry["Id"] for entry in response.get("Failed", [])}
        return failed

    def send_manual_retry(self, message: WebhookMessage) -> None:
        self._client.send_message(
            QueueUrl=self._queue_url, MessageBody=encode(message, manual=True), MessageGroupId=message.tenant_id
        )

    @staticmethod
    def read(body: str) -> tuple[WebhookMessage, bool]:
        """A received message's body: see :func:`decode`."""
        return decode(body)

    def retry_later(self, receipt_handle: str, seconds: int, *, received_seconds_ago: int = 0) -> None:
        """Hide a received message for ``seconds``: then it comes back. SQS caps a message's
        visibility at 12 h from its receive, ``received_seconds_ago``."""
        limit = MAX_VISIBILITY_SECONDS - max(0, received_seconds_ago)
        self._client.change_message_visibility(
            QueueUrl=self._queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=max(0, min(seconds, limit))
        )
