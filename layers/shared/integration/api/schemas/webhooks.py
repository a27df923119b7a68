"""Webhook bodies: create and replace requests, views, pages and the rotated secret."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from integration.api.schemas.request import Request
from integration.domain.pagination import Page
from integration.domain.url_policy import MAX_URL_LENGTH
from integration.domain.webhooks import MAX_DESCRIPTION_LENGTH, MAX_EVENT_TYPES, Webhook, WebhookFields, WebhookStatus
from integration.domain.webhooks import MAX_NAME_LENGTH as WEBHOOK_MAX_NAME_LENGTH


class _WebhookFieldsRequest(Request):
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
    disabled_reason: str | None = Field(
        default=None,
        description=(
            "Why delivery disabled it: 'every delivery attempt failed' or 'endpoint answered 410 Gone'; "
            "null when active or disabled by a PUT."
        ),
    )
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
            disabled_reason=webhook.disabled_reason,
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
