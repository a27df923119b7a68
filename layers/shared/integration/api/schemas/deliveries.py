"""Delivery log bodies: a delivery with its attempts, summaries and pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from integration.domain.deliveries import AttemptTrigger, Delivery, DeliveryAttempt, DeliveryStatus
from integration.domain.pagination import Page


class DeliveryAttemptView(BaseModel):
    at: datetime
    trigger: AttemptTrigger = Field(description="`scheduled` (the retry schedule) or `manual` (POST .../retry).")
    status_code: int | None = Field(description="The receiver's HTTP status; null when no answer arrived.")
    duration_ms: int
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


class DeliverySummaryView(BaseModel):
    id: str = Field(description="The message id: the `webhook-id` header of every attempt.")
    webhook_id: str
    event_type: str
    event_id: str | None = Field(description="The event the message carries (null for a test message).")
    status: DeliveryStatus
    attempt_count: int
    last_status_code: int | None
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime | None = Field(description="When the next attempt is due, while pending.")
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
    payload: dict[str, Any] = Field(description="The body every attempt sends: type, timestamp, data.")
    attempts: list[DeliveryAttemptView] = Field(description="Oldest first.")

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryView:
        message = delivery.message
        payload = {"type": message.event_type, "timestamp": message.timestamp, "data": message.data}
        return cls(
            **cls.summary_of(delivery), payload=payload, attempts=[DeliveryAttemptView.of(attempt) for attempt in delivery.attempts]
        )


class DeliveryPageView(BaseModel):
    items: list[DeliverySummaryView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")

    @classmethod
    def of(cls, page: Page[Delivery]) -> DeliveryPageView:
        return cls(items=[DeliverySummaryView.of(delivery) for delivery in page.items], next_cursor=page.next_cursor)
