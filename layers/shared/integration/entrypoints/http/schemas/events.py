"""Event log bodies: a logged event, pages of them, and one event with its deliveries."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from integration.application.events import EventDelivery, EventWithDeliveries
from integration.domain.deliveries import DeliveryStatus
from integration.domain.event_log import LoggedEvent
from integration.domain.pagination import Page
from integration.entrypoints.http.schemas.constraints import EVENT_ID_EXAMPLE, EventId, MessageId, WebhookId
from integration.entrypoints.http.schemas.timestamps import Timestamp
from integration.entrypoints.http.schemas.view import View

DATA_EXAMPLE = {
    "webhookId": "wh_01M8SZCNZVA2DWY1JYGTTS6AN2",
    "tenantId": "tenant-a",
    "eventId": EVENT_ID_EXAMPLE,
    "occurredAt": "2026-12-01T23:35:12.123Z",
    "version": 1,
}


class EventSummaryView(View):
    id: EventId = Field(description="The event's id in the log: a ULID of the time it happened (this service's own `eventId`).")
    type: str = Field(description="The event type (the payload's `type`).", examples=["WebhookDeleted"])
    occurred_at: Timestamp = Field(description="When it happened (the payload's `timestamp`).")
    source_id: str = Field(
        description="The event's id on the bus: `detail.eventId`, else the bus event's id.", examples=[EVENT_ID_EXAMPLE]
    )
    data: dict[str, Any] = Field(description="The payload's `data`: the event as published.", examples=[DATA_EXAMPLE])
    webhook_ids: list[WebhookId] = Field(description="The webhooks it was sent to (none when no webhook subscribed to it).")

    @classmethod
    def fields_of(cls, event: LoggedEvent) -> dict[str, Any]:
        return {
            "id": event.id,
            "type": event.event_type,
            "occurred_at": event.occurred_at,
            "source_id": event.source_id,
            "data": event.data,
            "webhook_ids": sorted(event.webhook_ids),
        }

    @classmethod
    def of(cls, event: LoggedEvent) -> EventSummaryView:
        return cls(**cls.fields_of(event))


class EventPageView(View):
    items: list[EventSummaryView] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")

    @classmethod
    def of(cls, page: Page[LoggedEvent]) -> EventPageView:
        return cls(items=[EventSummaryView.of(event) for event in page.items], next_cursor=page.next_cursor)


class EventDeliveryView(View):
    webhook_id: WebhookId
    delivery_id: MessageId = Field(
        description="The message that carries the event to this webhook (GET /webhooks/{id}/deliveries/{delivery_id})."
    )
    status: DeliveryStatus = Field(description="`pending` also while the message is queued and not attempted yet.")
    attempt_count: int
    last_status_code: int | None = Field(description="The receiver's HTTP status at the last attempt; null before one.")
    updated_at: Timestamp | None = Field(description="The last change of the delivery; null before its first attempt.")

    @classmethod
    def of(cls, outcome: EventDelivery) -> EventDeliveryView:
        delivery = outcome.delivery
        last = delivery.attempts[-1] if delivery is not None and delivery.attempts else None
        return cls(
            webhook_id=outcome.webhook_id,
            delivery_id=outcome.message_id,
            status=outcome.status,
            attempt_count=0 if delivery is None else len(delivery.attempts),
            last_status_code=None if last is None else last.status_code,
            updated_at=None if delivery is None else delivery.updated_at,
        )


class EventView(EventSummaryView):
    deliveries: list[EventDeliveryView] = Field(description="What became of the event at each webhook it was sent to.")

    @classmethod
    def of_event(cls, found: EventWithDeliveries) -> EventView:
        return cls(**cls.fields_of(found.event), deliveries=[EventDeliveryView.of(outcome) for outcome in found.deliveries])
