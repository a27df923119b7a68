"""Composition root: builds repositories and rules from the environment, once per process.

Environment (set by template.yaml, or by the local runtime):
- ``TABLE_NAME``: the single table.
- ``MAX_WEBHOOKS_PER_TENANT`` (default 50), ``PLATFORM_EVENT_TYPES`` (comma-separated).
- ``WEBHOOK_ALLOW_HTTP``: accept plain-http webhook URLs (deployment parameter; local: true).
- ``WEBHOOK_ALLOW_LOOPBACK``: accept loopback webhook hosts (the local runtime only).
- ``EVENT_BUS_NAME``, ``EVENT_SOURCE`` (default ``integration``): where domain events go.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from integration.application.outbox_relay import RelayOutboxEventsUseCase
from integration.domain.event_types import EventTypeCatalogue, parse_platform_event_types
from integration.domain.url_policy import UrlPolicy
from integration.domain.webhooks import DEFAULT_MAX_WEBHOOKS_PER_TENANT, WebhookRules
from integration.infrastructure.api_key_repository import DynamoDBApiKeyRepository
from integration.infrastructure.aws import dynamodb_client, events_client
from integration.infrastructure.webhook_repository import DynamoDBWebhookRepository

if TYPE_CHECKING:
    from integration.infrastructure.eventbridge import EventBridgePublisher


def table_name() -> str:
    try:
        return os.environ["TABLE_NAME"]
    except KeyError:
        raise RuntimeError("TABLE_NAME is not set: name the DynamoDB table this service uses") from None


def _flag(name: str) -> bool:
    return os.environ.get(name, "false").strip().lower() in ("1", "true", "yes")


@functools.cache
def api_key_repository() -> DynamoDBApiKeyRepository:
    return DynamoDBApiKeyRepository(dynamodb_client(), table_name())


@functools.cache
def webhook_repository() -> DynamoDBWebhookRepository:
    return DynamoDBWebhookRepository(dynamodb_client(), table_name())


@functools.cache
def event_type_catalogue() -> EventTypeCatalogue:
    return EventTypeCatalogue(parse_platform_event_types(os.environ.get("PLATFORM_EVENT_TYPES", "")))


@functools.cache
def webhook_rules() -> WebhookRules:
    return WebhookRules(
        url_policy=UrlPolicy(allow_http=_flag("WEBHOOK_ALLOW_HTTP"), allow_loopback=_flag("WEBHOOK_ALLOW_LOOPBACK")),
        catalogue=event_type_catalogue(),
        max_per_tenant=int(os.environ.get("MAX_WEBHOOKS_PER_TENANT", DEFAULT_MAX_WEBHOOKS_PER_TENANT)),
    )


@functools.cache
def event_publisher() -> EventBridgePublisher:
    from integration.infrastructure.eventbridge import EventBridgePublisher  # the relay's only

    return EventBridgePublisher(
        events_client(),
        event_bus_name=os.environ["EVENT_BUS_NAME"],
        source=os.environ.get("EVENT_SOURCE", "integration"),
    )


def relay_outbox_events() -> RelayOutboxEventsUseCase:
    return RelayOutboxEventsUseCase(event_publisher())


def reset() -> None:
    """Forget everything built (tests change the environment between cases)."""
    for cached in (
        api_key_repository,
        webhook_repository,
        event_type_catalogue,
        webhook_rules,
        event_publisher,
        dynamodb_client,
        events_client,
    ):
        cached.cache_clear()
