"""Webhook bodies: create, replace (PUT) and merge patch (PATCH) requests, views, pages and the rotated secret."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from integration.domain.pagination import Page
from integration.domain.url_policy import MAX_URL_LENGTH
from integration.domain.webhook_changes import WebhookPatch
from integration.domain.webhooks import (
    MAX_DESCRIPTION_LENGTH,
    MAX_EVENT_TYPES,
    Webhook,
    WebhookFields,
    WebhookStatus,
)
from integration.domain.webhooks import MAX_NAME_LENGTH as WEBHOOK_MAX_NAME_LENGTH
from integration.entrypoints.http.schemas.constraints import (
    SIGNING_SECRET_EXAMPLE,
    WEBHOOK_URL_EXAMPLE,
    EventTypeFilter,
    NotBlank,
    WebhookId,
    WebhookUrl,
)
from integration.entrypoints.http.schemas.request import Request, optional_member, required_member
from integration.entrypoints.http.schemas.timestamps import Timestamp
from integration.entrypoints.http.schemas.view import View

# Each field's constraints, the same in every request that sets it (POST, PUT, PATCH).
# Patterns and examples: integration.entrypoints.http.schemas.constraints.
NAME: dict[str, Any] = {
    "min_length": 1,
    "max_length": WEBHOOK_MAX_NAME_LENGTH,
    "description": "A label for the endpoint; not blank.",
    "examples": ["Order events"],
}
URL: dict[str, Any] = {
    "min_length": 1,
    "max_length": MAX_URL_LENGTH,
    "description": (
        "Absolute https URL that receives the events (plain http only where the deployment allows it, "
        "as the local runtime does); no credentials, and no private, loopback or link-local host."
    ),
    "examples": [WEBHOOK_URL_EXAMPLE],
}
EVENTS: dict[str, Any] = {
    "min_length": 1,
    "max_length": MAX_EVENT_TYPES,
    "description": "Event types to receive; `*` for all. See GET /event-types.",
    "examples": [["WebhookCreated", "WebhookDisabled"], ["*"]],
}
DESCRIPTION: dict[str, Any] = {"max_length": MAX_DESCRIPTION_LENGTH, "examples": ["Fulfilment service, production"]}


class _WebhookFieldsRequest(Request):
    name: NotBlank = Field(**NAME)
    url: WebhookUrl = Field(**URL)
    events: list[EventTypeFilter] = Field(**EVENTS)
    description: str | None = Field(default=None, **DESCRIPTION)

    def fields(self, status: WebhookStatus) -> WebhookFields:
        return WebhookFields(name=self.name, url=self.url, events=tuple(self.events), description=self.description, status=status)


class CreateWebhookRequest(_WebhookFieldsRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Order events", "url": WEBHOOK_URL_EXAMPLE, "events": ["WebhookCreated", "WebhookDisabled"]},
                {
                    "name": "Everything",
                    "url": WEBHOOK_URL_EXAMPLE,
                    "events": ["*"],
                    "description": "Audit log",
                    "status": "disabled",
                },
            ]
        }
    )

    status: WebhookStatus = WebhookStatus.ACTIVE


class UpdateWebhookRequest(_WebhookFieldsRequest):
    """PUT replaces the webhook's fields: send all of them (``description`` may be omitted to clear it)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Order events",
                    "url": WEBHOOK_URL_EXAMPLE,
                    "events": ["*"],
                    "description": "Fulfilment service, production",
                    "status": "active",
                }
            ]
        }
    )

    status: WebhookStatus


class PatchWebhookRequest(Request):
    """A JSON Merge Patch (RFC 7396) of the webhook: a member left out keeps its value, a member
    sent sets it, `"description": null` clears the description (the other fields cannot be
    null). The webhook that results is checked as a PUT of it would be; `{}` changes nothing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"url": WEBHOOK_URL_EXAMPLE}, {"events": ["*"], "description": None}, {"status": "active"}]
        }
    )

    name: NotBlank | None = Field(default=None, **NAME, json_schema_extra=required_member)
    url: WebhookUrl | None = Field(default=None, **URL, json_schema_extra=required_member)
    events: list[EventTypeFilter] | None = Field(default=None, **EVENTS, json_schema_extra=required_member)
    description: str | None = Field(default=None, **DESCRIPTION, json_schema_extra=optional_member)
    status: WebhookStatus | None = Field(default=None, json_schema_extra=required_member)

    def patch(self) -> WebhookPatch:
        """The members sent, as the domain's patch (which refuses a null required field)."""
        members: dict[str, Any] = {name: getattr(self, name) for name in self.model_fields_set}
        if members.get("events") is not None:
            members["events"] = tuple(members["events"])
        return WebhookPatch(**members)


class WebhookView(View):
    id: WebhookId
    name: str = Field(examples=NAME["examples"])
    url: str = Field(examples=URL["examples"])
    events: list[str] = Field(examples=EVENTS["examples"])
    description: str | None = Field(examples=DESCRIPTION["examples"])
    status: WebhookStatus
    disabled_reason: str | None = Field(
        default=None,
        description=(
            "Why delivery disabled it: 'every delivery attempt failed' or 'endpoint answered 410 Gone'; "
            "null when active or disabled by a PUT or PATCH."
        ),
    )
    failing_since: Timestamp | None = Field(
        description=(
            "Health: when the current run of failed delivery attempts began; null when the last attempt succeeded "
            "(or none failed) and once it is disabled. Delivery state, not a setting: it does not change the ETag."
        )
    )
    previous_secret_expires_at: Timestamp | None = Field(
        description=(
            "After a secret rotation: when the previous secret stops (or, in the past, stopped) signing beside the "
            "current one; null when the secret was never rotated, or rotated without a grace period."
        )
    )
    created_at: Timestamp
    updated_at: Timestamp

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
            failing_since=webhook.failing_since,
            previous_secret_expires_at=webhook.previous_secret_expires_at,
            created_at=webhook.created_at,
            updated_at=webhook.updated_at,
        )


class CreatedWebhookView(WebhookView):
    secret: str = Field(
        description="The signing secret (whsec_...). Shown in this response only: store it now.",
        examples=[SIGNING_SECRET_EXAMPLE],
    )

    @classmethod
    def of_created(cls, webhook: Webhook) -> CreatedWebhookView:
        return cls(**WebhookView.of(webhook).model_dump(), secret=webhook.secret)


class WebhookPageView(View):
    items: list[WebhookView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")

    @classmethod
    def of(cls, page: Page[Webhook]) -> WebhookPageView:
        return cls(items=[WebhookView.of(webhook) for webhook in page.items], next_cursor=page.next_cursor)


class RotatedSecretView(View):
    secret: str = Field(
        description="The new signing secret (whsec_...). Shown in this response only: store it now.",
        examples=[SIGNING_SECRET_EXAMPLE],
    )
    previous_secret_expires_at: Timestamp | None = Field(
        description="Until then every request carries a second signature, made with the previous secret."
    )

    @classmethod
    def of(cls, webhook: Webhook) -> RotatedSecretView:
        return cls(secret=webhook.secret, previous_secret_expires_at=webhook.previous_secret_expires_at)
