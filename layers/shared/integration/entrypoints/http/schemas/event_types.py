"""The event type catalogue (GET /event-types)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import ConfigDict, Field

from integration.domain.event_type_schemas import EventTypeDescription
from integration.domain.event_types import WILDCARD
from integration.entrypoints.http.schemas.view import View


class EventTypeView(View):
    model_config = ConfigDict(populate_by_name=True)

    type: str = Field(description="The EventBridge `detail-type`; what a webhook's `events` lists.")
    description: str
    detail_schema: dict[str, Any] | None = Field(
        alias="schema",
        description=(
            "JSON Schema (draft 2020-12) of the EventBridge `detail` (a webhook payload's `data`); for a platform event type, "
            "the one the platform published, null when none is."
        ),
    )
    example: dict[str, Any] | None = Field(
        description=(
            "An example `detail` (a webhook payload's `data`): what POST /webhooks/{id}/test sends for this type. "
            "Null for a platform event type without a published example."
        )
    )
    origin: Literal["service", "platform"] = Field(
        description="`service`: published by this service; `platform`: configured for this deployment (PLATFORM_EVENT_TYPES)."
    )

    @classmethod
    def of(cls, described: EventTypeDescription) -> EventTypeView:
        return cls(
            type=described.type,
            description=described.description,
            schema=described.schema,
            example=described.example,
            origin=described.origin,
        )


class EventTypeCatalogueView(View):
    source: str = Field(description="The EventBridge `source` of this service's events.")
    wildcard: str = Field(default=WILDCARD, description="Subscribe to every event type, including ones added later.")
    items: list[EventTypeView]

    @classmethod
    def of(cls, described: Iterable[EventTypeDescription], source: str) -> EventTypeCatalogueView:
        return cls(source=source, wildcard=WILDCARD, items=[EventTypeView.of(item) for item in described])
