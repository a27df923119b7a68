"""What each catalogue event type looks like: its description, JSON Schema and an example.

This service's own types carry a JSON Schema (``integration/event_schemas/<type>.json``) whose
``examples[0]`` is the example. A platform type (``PLATFORM_EVENT_TYPES``) carries one when the
platform team has published it (where, is the adapter's business:
:class:`PlatformEventSchemaSource`); else its schema and example are unknown (None).

A published platform schema is a JSON object
``{"description": str, "schema": {...JSON Schema...}, "example": {...}}``:
:func:`parse_platform_event_schema` reads one and refuses anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, Protocol

from integration.domain.event_types import SERVICE_EVENT_TYPES, WILDCARD, EventTypeCatalogue

PLATFORM_EVENT_TYPE_DESCRIPTION = (
    "A platform event type this deployment accepts in webhook subscriptions; the platform defines its payload."
)
MAX_PLATFORM_DESCRIPTION_LENGTH = 500
_NOTHING: Mapping[str, PlatformEventSchema] = MappingProxyType({})


@dataclass(frozen=True)
class PlatformEventSchema:
    """A platform event type's published description, JSON Schema and example ``data``."""

    description: str
    schema: dict[str, Any]
    example: dict[str, Any]


@dataclass(frozen=True)
class EventTypeDescription:
    """One catalogue entry as GET /event-types shows it."""

    type: str
    origin: Literal["service", "platform"]
    description: str
    schema: dict[str, Any] | None  # None: a platform type without a published schema
    example: dict[str, Any] | None


class PlatformEventSchemaSource(Protocol):
    """Where platform teams publish their event types' schemas (read through a per-instance cache)."""

    def schemas(self) -> Mapping[str, PlatformEventSchema]:
        """The published schema of each platform event type that has one; never raises: when
        the source cannot be read, the last copy read (or nothing)."""
        ...


class NoPlatformEventSchemas:
    """A source with nothing published (no platform event types configured)."""

    def schemas(self) -> Mapping[str, PlatformEventSchema]:
        return _NOTHING


def parse_platform_event_schema(value: str) -> PlatformEventSchema:
    """A published value (JSON text); :class:`ValueError` saying what is wrong with it."""
    try:
        parsed = json.loads(value)
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(parsed, dict):
        raise ValueError("not a JSON object")  # noqa: TRY004 - one error for any malformed value
    unknown = sorted(set(parsed) - {"description", "schema", "example"})
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(unknown)}")
    description, schema, example = parsed.get("description"), parsed.get("schema"), parsed.get("example")
    if not isinstance(description, str) or not description.strip():
        raise ValueError("description must be a non-empty string")
    if len(description) > MAX_PLATFORM_DESCRIPTION_LENGTH:
        raise ValueError(f"description must be at most {MAX_PLATFORM_DESCRIPTION_LENGTH} characters")
    if not isinstance(schema, dict):
        raise ValueError("schema must be a JSON object (a JSON Schema)")  # noqa: TRY004 - one error for any malformed value
    if not isinstance(example, dict):
        raise ValueError("example must be a JSON object (an example of the event's data)")  # noqa: TRY004 - one error for any malformed value
    return PlatformEventSchema(description=description.strip(), schema=schema, example=example)


class EventTypeSchemas:
    """Description, schema and example of every catalogue type, service and platform.

    ``service_schema``: the JSON Schema of one of this service's types (its ``description``
    and ``examples[0]`` are the entry's).
    """

    def __init__(
        self,
        catalogue: EventTypeCatalogue,
        service_schema: Callable[[str], dict[str, Any]],
        platform: PlatformEventSchemaSource,
    ) -> None:
        self.catalogue = catalogue
        self._service_schema = service_schema
        self._platform = platform
        self._service_entries: dict[str, EventTypeDescription] | None = None  # read on first use, not at INIT
        self._described: tuple[Mapping[str, PlatformEventSchema] | None, tuple[EventTypeDescription, ...]] | None = None

    @property
    def _service(self) -> dict[str, EventTypeDescription]:
        if self._service_entries is None:
            self._service_entries = {event_type: self._service_entry(event_type) for event_type in SERVICE_EVENT_TYPES}
        return self._service_entries

    def _service_entry(self, event_type: str) -> EventTypeDescription:
        schema = self._service_schema(event_type)
        examples = schema.get("examples") or [None]
        return EventTypeDescription(event_type, "service", schema["description"], schema, examples[0])

    def describe_all(self) -> tuple[EventTypeDescription, ...]:
        """Every catalogue type (not ``*``), in the catalogue's order. The same tuple (``is``)
        as long as the platform source hands back the same mapping, so callers may cache what
        they build from it by identity."""
        published = self._platform.schemas() if len(self.catalogue.event_types) > len(SERVICE_EVENT_TYPES) else None
        if self._described is None or self._described[0] is not published:
            described = tuple(self._describe(event_type, published or {}) for event_type in self.catalogue.event_types)
            self._described = (published, described)
        return self._described[1]

    def describe(self, event_type: str) -> EventTypeDescription | None:
        """One catalogue type; None for ``*`` or a type not in the catalogue."""
        if event_type == WILDCARD or event_type not in self.catalogue.event_types:
            return None
        if event_type in self._service:
            return self._service[event_type]
        return self._describe(event_type, self._platform.schemas())

    def _describe(self, event_type: str, published: Mapping[str, PlatformEventSchema]) -> EventTypeDescription:
        if event_type in self._service:
            return self._service[event_type]
        found = published.get(event_type)
        if found is None:
            return EventTypeDescription(event_type, "platform", PLATFORM_EVENT_TYPE_DESCRIPTION, None, None)
        return EventTypeDescription(event_type, "platform", found.description, found.schema, found.example)
