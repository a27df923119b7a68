"""The event type catalogue (GET /event-types)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from integration.domain.event_types import SERVICE_EVENT_TYPES, WILDCARD, EventTypeCatalogue
from integration.event_schemas import load_schema


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
