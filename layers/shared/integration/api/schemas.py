"""Request and response bodies of the HTTP API (pydantic; the OpenAPI document comes from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from integration.domain.api_keys import MAX_NAME_LENGTH, ApiKey, ApiKeyStatus, IssuedApiKey
from integration.domain.deliveries import AttemptTrigger, Delivery, DeliveryAttempt, DeliveryStatus
from integration.domain.event_types import SERVICE_EVENT_TYPES, WILDCARD, EventTypeCatalogue
from integration.domain.pagination import Page
from integration.domain.scopes import Scope
from integration.domain.url_policy import MAX_URL_LENGTH
from integration.domain.webhooks import MAX_DESCRIPTION_LENGTH, MAX_EVENT_TYPES, Webhook, WebhookFields, WebhookStatus
from integration.domain.webhooks import MAX_NAME_LENGTH as WEBHOOK_MAX_NAME_LENGTH
from integration.event_schemas import load_schema


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateApiKeyRequest(_Request):
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH, description="A label to recognise the key by.")
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope), description="What the key may do.")
    expires_at: AwareDatetime | None = Field(default=None, description="When the key stops working (ISO 8601, future).")

    @field_validator("expires_at", mode="before")
    @classmethod
    def _iso_8601_only(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError("must be an ISO 8601 date-time string, e.g. 2030-01-01T00:00:00Z")
        return value


class ApiKeyView(BaseModel):
    id: str
    name: str
    scopes: list[str]
    prefix: str = Field(description="The key's first characters, to recognise it; never enough to use it.")
    status: ApiKeyStatus
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(
        description="When the key was last used, accurate to a minute (a use within a minute of the recorded one is not recorded); null until first used."
    )

    @classmethod
    def of(cls, key: ApiKey, now: datetime) -> ApiKeyView:
        return cls(
            id=key.id,
            name=key.name,
            scopes=list(key.scopes),
            prefix=key.prefix,
            status=key.status(now),
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


class CreatedApiKeyView(ApiKeyView):
    key: str = Field(description="The plaintext key. Shown in this response only: store it now.")

    @classmethod
    def of_issued(cls, issued: IssuedApiKey, now: datetime) -> CreatedApiKeyView:
        return cls(**ApiKeyView.of(issued.api_key, now).model_dump(), key=issued.plaintext)


class ApiKeyPageView(BaseModel):
    items: list[ApiKeyView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")

    @classmethod
    def of(cls, page: Page[ApiKey], now: datetime) -> ApiKeyPageView:
        return cls(items=[ApiKeyView.of(key, now) for key in page.items], next_cursor=page.next_cursor)


# ---------------------------------------------------------------------------------- webhooks


class _WebhookFieldsRequest(_Request):
    name: str = Field(min_length=1, max_length=WEBHOOK_MAX_NAME_LENGTH, description="A label for the endpoint.")
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH, description="Absolute https URL that receives the events.")
    events: list[str] = Field(
        min_length=1, max_length=MAX_EVENT_TYPES, description="Event types to receive; `*` for all. See GET /event-types."
    )
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_LENGTH)

    def fields(self, status: WebhookStatus) -> WebhookFields:
        return WebhookFields(name=self.name, url=self.url, events=tuple(self.events), description=self.description, status=status)


class CreateWebhookRequest(_WebhookFieldsRequest):
    status: WebhookStatus = WebhookStatus.ACTIVE


class UpdateWebhookRequest(_WebhookFieldsRequest):
    """PUT replaces the webhook's fields: send all of them (``description`` may be omitted to clear it)."""

    status: WebhookStatus


class WebhookView(BaseModel):
    id: str
    name: str
    url: str
    events: list[str]
    description: str | None
    status: WebhookStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookView:
        return cls(
            id=webhook.id,
            name=webhook.name,
            url=webhook.url,
            events=list(webhook.events),
            description=webhook.description,
            status=webhook.status,
            created_at=webhook.created_at,
            updated_at=webhook.updated_at,
        )


class CreatedWebhookView(WebhookView):
    secret: str = Field(description="The signing secret (whsec_...). Shown in this response only: store it now.")

    @classmethod
    def of_created(cls, webhook: Webhook) -> CreatedWebhookView:
        return cls(**WebhookView.of(webhook).model_dump(), secret=webhook.secret)


class WebhookPageView(BaseModel):
    items: list[WebhookView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")

    @classmethod
    def of(cls, page: Page[Webhook]) -> WebhookPageView:
        return cls(items=[WebhookView.of(webhook) for webhook in page.items], next_cursor=page.next_cursor)


class RotatedSecretView(BaseModel):
    secret: str = Field(description="The new signing secret (whsec_...). Shown in this response only: store it now.")
    previous_secret_expires_at: datetime | None = Field(
        description="Until then every request carries a second signature, made with the previous secret."
    )

    @classmethod
    def of(cls, webhook: Webhook) -> RotatedSecretView:
        return cls(secret=webhook.secret, previous_secret_expires_at=webhook.previous_secret_expires_at)


# ------------------------------------------------------------------------------- deliveries


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


# ------------------------------------------------------------------------------- event types


class EventTypeView(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    type: str = Field(description="The EventBridge `detail-type`; what a webhook's `events` lists.")
    description: str
    detail_schema: dict[str, Any] | None = Field(
        alias="schema", description="JSON Schema (draft 2020-12) of the EventBridge `detail`; null for platform event types."
    )
    origin: Literal["service", "platform"] = Field(
        description="`service`: published by this service; `platform`: configured for this deployment (PLATFORM_EVENT_TYPES)."
    )


PLATFORM_EVENT_TYPE_DESCRIPTION = (
    "A platform event type this deployment accepts in webhook subscriptions; the platform defines its payload."
)


class EventTypeCatalogueView(BaseModel):
    source: str = Field(description="The EventBridge `source` of this service's events.")
    wildcard: str = Field(default=WILDCARD, description="Subscribe to every event type, including ones added later.")
    items: list[EventTypeView]

    @classmethod
    def of(cls, catalogue: EventTypeCatalogue, source: str) -> EventTypeCatalogueView:
        items = []
        for event_type in catalogue.event_types:
            if event_type in SERVICE_EVENT_TYPES:
                schema = load_schema(event_type)
                items.append(EventTypeView(type=event_type, description=schema["description"], schema=schema, origin="service"))
            else:
                description = PLATFORM_EVENT_TYPE_DESCRIPTION
                items.append(EventTypeView(type=event_type, description=description, schema=None, origin="platform"))
        return cls(source=source, wildcard=WILDCARD, items=items)
