"""The catalogue of event types a webhook can subscribe to: one list, in one place.

This service's own domain events, ``*`` for every type, and the platform's event types that a
deployment adds (template parameter ``PlatformEventTypes``, env ``PLATFORM_EVENT_TYPES``,
comma-separated, e.g. ``invoice.paid,order.created``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WILDCARD = "*"

SERVICE_EVENT_TYPES: tuple[str, ...] = (
    "ApiKeyCreated",
    "ApiKeyRevoked",
    "ApiKeyRolled",
    "ApiKeyUpdated",
    "WebhookCreated",
    "WebhookUpdated",
    "WebhookDeleted",
    "WebhookSecretRotated",
    "WebhookDisabled",
)

EVENT_TYPE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,127}$")


def parse_platform_event_types(configured: str) -> tuple[str, ...]:
    """``PLATFORM_EVENT_TYPES`` as a tuple; a malformed entry is a deployment error."""
    types = tuple(item.strip() for item in configured.split(",") if item.strip())
    bad = [item for item in types if not EVENT_TYPE_PATTERN.match(item)]
    if bad:
        raise ValueError(f"PLATFORM_EVENT_TYPES has invalid event types: {', '.join(bad)}")
    return types


class EventTypeCatalogue:
    def __init__(self, platform_event_types: Iterable[str] = ()) -> None:
        self.event_types: tuple[str, ...] = tuple(dict.fromkeys((*SERVICE_EVENT_TYPES, *platform_event_types)))

    def __contains__(self, event_type: str) -> bool:
        return event_type == WILDCARD or event_type in self.event_types
