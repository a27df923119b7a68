"""Delivery log bodies: a delivery with its attempts, summaries and pages."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from integration.domain.deliveries import AttemptTrigger, Delivery, DeliveryAttempt, DeliveryStatus
from integration.domain.pagination import Page
from integration.entrypoints.http.schemas.constraints import (
    EVENT_ID_EXAMPLE,
    EVENT_TYPE_FILTER_PATTERN,
    WEBHOOK_ID_EXAMPLE,
    MessageId,
    WebhookId,
)
from integration.entrypoints.http.schemas.request import Request
from integration.entrypoints.http.schemas.timestamps import Timestamp
from integration.entrypoints.http.schemas.view import View

PAYLOAD_EXAMPLE = {
    "type": "WebhookDeleted",
    "timestamp": "2026-12-01T23:35:12.000Z",
    "data": {
        "webhookId": WEBHOOK_ID_EXAMPLE,
        "tenantId": "tenant-a",
        "eventId": EVENT_ID_EXAMPLE,
        "occurredAt": "2026-12-01T23:35:12.123Z",
        "version": 1,
    },
}


class DeliveryAttemptView(View):
    at: Timestamp
    trigger: AttemptTrigger = Field(description="`scheduled` (the retry schedule), `manual` (POST .../retry), `recover` or `replay` (a job).")
    status_code: int | None = Field(description="The receiver's HTTP status; null when no answer arrived.", examples=[200])
    duration_ms: int = Field(examples=[143])
    error: str | None = Field(description="Why no usable answer arrived (timeout, refused address, ...).")
    response_body: str = Field(description="The start of the receiver's answer (at most 1000 characters).")

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> DeliveryAttemptView:
        return cls(
            at=attempt.at,
            trigger=attempt.trigger,
            status_code=attempt.status_code,
            duration_ms=attempt.duration_ms,
            error=attempt.error,
            response_body=attempt.response_body,
        )


class DeliverySummaryView(View):
    id: MessageId = Field(description="The message id: the `webhook-id` header of every attempt.")
    webhook_id: WebhookId
    event_type: str = Field(
        description="The payload's `type`: an event type, or `webhook.test`.", examples=["WebhookDeleted", "webhook.test"]
    )
    event_id: str | None = Field(
        description="The event the message carries (null for a test message).", examples=[EVENT_ID_EXAMPLE]
    )
    status: DeliveryStatus
    attempt_count: int
    last_status_code: int | None
    created_at: Timestamp
    updated_at: Timestamp
    next_attempt_at: Timestamp | None = Field(description="When the next attempt is due, while pending.")
    dropped_reason: str | None = Field(description="Why it failed without another attempt (its webhook was disabled).")

    @classmethod
    def summary_of(cls, delivery: Delivery) -> dict[str, Any]:
        message = delivery.message
        last = delivery.attempts[-1] if delivery.attempts else None
        return {
            "id": message.id,
            "webhook_id": message.webhook_id,
            "event_type": message.event_type,
            "event_id": message.event_id,
            "status": delivery.status,
            "attempt_count": len(delivery.attempts),
            "last_status_code": None if last is None else last.status_code,
            "created_at": delivery.created_at,
            "updated_at": delivery.updated_at,
            "next_attempt_at": delivery.next_attempt_at,
            "dropped_reason": delivery.dropped_reason,
        }

    @classmethod
    def of(cls, delivery: Delivery) -> DeliverySummaryView:
        return cls(**cls.summary_of(delivery))


class DeliveryView(DeliverySummaryView):
    payload: dict[str, Any] = Field(
        description="The body every attempt sends, exactly: type, timestamp, data (see the document's `webhooks` for each type's).",
        examples=[PAYLOAD_EXAMPLE],
    )
    attempts: list[DeliveryAttemptView] = Field(description="Oldest first.")

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryView:
        return cls(
            **cls.summary_of(delivery),
            payload=json.loads(delivery.message.body()),
            attempts=[DeliveryAttemptView.of(attempt) for attempt in delivery.attempts],
        )


class DeliveryPageView(View):
    items: list[DeliverySummaryView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")

    @classmethod
    def of(cls, page: Page[Delivery]) -> DeliveryPageView:
        return cls(items=[DeliverySummaryView.of(delivery) for delivery in page.items], next_cursor=page.next_cursor)


# The pattern of a webhook's `events` entry (so `*` is a 422 from the use case, saying why).
SampleEventType = Annotated[str, Field(json_schema_extra={"pattern": EVENT_TYPE_FILTER_PATTERN}, examples=["WebhookCreated"])]


class SendTestMessageRequest(Request):
    """POST /webhooks/{id}/test: which event to send a sample of (no body: a ``webhook.test`` ping)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"event_type": "WebhookCreated"}]})

    event_type: SampleEventType | None = Field(
        default=None,
        description=(
            "A type of the catalogue (GET /event-types), sent whatever the webhook's `events` filter, with that type's "
            'example as `data`; not `*`. Left out: a `webhook.test` ping. Either way the payload carries `"test": true`.'
        ),
    )
