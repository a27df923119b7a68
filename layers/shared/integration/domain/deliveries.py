"""Webhook messages and their delivery log: what is sent to one webhook, and every attempt.

A *message* is one event for one webhook. Its id (``msg_...``) is the ``webhook-id`` header of
every attempt, so a receiver can drop duplicates. The id of a message fanned out from an event
is derived from the event and the webhook, so handling the same event twice (queues deliver at
least once) gives the same id again rather than a second message.

A *delivery* is the log record of a message: its status and its attempts, newest last.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from integration.domain.ids import encode_ulid, new_id
from integration.domain.signing import message_body

MESSAGE_ID_PREFIX = "msg"
TEST_EVENT_TYPE = "webhook.test"
MAX_STORED_RESPONSE_CHARS = 1000  # of each attempt's response body, in the log
MAX_ATTEMPTS_PER_MESSAGE = 100  # manual retries stop here; keeps a log record far below 400 KB


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # an attempt is due (at once or after the scheduled delay)
    SUCCEEDED = "succeeded"  # an attempt got a 2xx
    FAILED = "failed"  # the last scheduled attempt (or a manual retry) failed


class AttemptTrigger(StrEnum):
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    RECOVER = "recover"  # a recover job's one-shot attempt
    REPLAY = "replay"  # a replay job's one-shot attempt


@dataclass(frozen=True)
class TenantEvent:
    """An event on the bus that belongs to a tenant: what the fan-out delivers."""

    tenant_id: str
    event_type: str
    event_key: str  # stable across re-publishes: the detail's eventId, else the bus event id
    occurred_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class WebhookMessage:
    """What every attempt of one message sends (only the signature's timestamp changes)."""

    id: str
    tenant_id: str
    webhook_id: str
    event_type: str
    event_id: str | None  # the event it came from (None for a test message)
    timestamp: datetime  # when the event happened: the payload's ``timestamp``
    data: dict[str, Any]
    test: bool = False  # a sample sent on request: the body says ``"test": true``

    def body(self) -> bytes:
        return message_body(self.event_type, self.timestamp, self.data, test=self.test)


@dataclass(frozen=True)
class DeliveryAttempt:
    at: datetime
    trigger: AttemptTrigger
    status_code: int | None  # None: no HTTP answer (refused, timeout, connection error)
    duration_ms: int
    error: str | None
    response_body: str  # at most MAX_STORED_RESPONSE_CHARS

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Delivery:
    message: WebhookMessage
    status: DeliveryStatus
    attempts: tuple[DeliveryAttempt, ...]
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime | None = None
    dropped_reason: str | None = None  # why it failed without an attempt (e.g. webhook disabled)


def fanned_out_message_id(*, event_key: str, webhook_id: str, occurred_at: datetime) -> str:
    """The id of the message that carries event ``event_key`` to ``webhook_id``.

    A ULID whose time is the event's (so a webhook's log lists newest events first) and whose
    random part is a hash of event and webhook: the same pair always gives the same id.
    """
    digest = hashlib.sha256(f"{event_key}\x00{webhook_id}".encode()).digest()
    randomness = int.from_bytes(digest[:10], "big")  # 80 bits, as in a ULID
    return f"{MESSAGE_ID_PREFIX}_{encode_ulid(int(occurred_at.timestamp() * 1000), randomness)}"


def new_test_message(
    *, tenant_id: str, webhook_id: str, now: datetime, event_type: str = TEST_EVENT_TYPE, data: dict[str, Any] | None = None
) -> WebhookMessage:
    """A test message, sent only to ``webhook_id`` whatever its event filter, marked ``test``.

    By default a ``webhook.test`` ping; with ``event_type`` (a catalogue type) a sample of that
    type whose ``data`` is its example (``data``).
    """
    if data is None:
        data = {"webhookId": webhook_id, "message": "This is a test message from the integration service."}
    return WebhookMessage(
        id=new_id(MESSAGE_ID_PREFIX, int(now.timestamp() * 1000)),
        tenant_id=tenant_id,
        webhook_id=webhook_id,
        event_type=event_type,
        event_id=None,
        timestamp=now,
        data=data,
        test=True,
    )
