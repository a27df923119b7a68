"""What the deployment configures through the environment and needs no AWS to build, once per
process: the event type catalogue and the webhook rules. The composition root,
:mod:`integration.wiring`, builds the AWS-backed adapters and use cases (and imports boto3);
``list_event_types``, which makes no AWS call, needs only this module.

Environment (set by template.yaml, or by the local runtime):
- ``PLATFORM_EVENT_TYPES`` (comma-separated): event types the platform publishes to the bus.
- ``MAX_WEBHOOKS_PER_TENANT`` (default 50).
- ``WEBHOOK_ALLOW_HTTP``: accept plain-http webhook URLs (deployment parameter; local: true).
- ``WEBHOOK_ALLOW_LOOPBACK``: accept loopback webhook hosts (the local runtime only).
"""

from __future__ import annotations

import functools
import os

from integration.domain.event_types import EventTypeCatalogue, parse_platform_event_types
from integration.domain.url_policy import UrlPolicy
from integration.domain.webhooks import DEFAULT_MAX_WEBHOOKS_PER_TENANT, WebhookRules


def _flag(name: str) -> bool:
    return os.environ.get(name, "false").strip().lower() in ("1", "true", "yes")


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


def reset() -> None:
    """Forget what was read (tests change the environment between cases)."""
    event_type_catalogue.cache_clear()
    webhook_rules.cache_clear()
