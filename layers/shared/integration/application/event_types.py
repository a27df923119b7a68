"""GET /event-types: the catalogue with each type's description, JSON Schema and example."""

from __future__ import annotations

from integration.domain.event_type_schemas import EventTypeDescription, EventTypeSchemas


class ListEventTypesUseCase:
    """Every catalogue type: this service's from its schemas, the platform's from what the
    platform published (read through a per-instance cache: most calls make no AWS call)."""

    def __init__(self, schemas: EventTypeSchemas) -> None:
        self._schemas = schemas

    def execute(self) -> tuple[EventTypeDescription, ...]:
        return self._schemas.describe_all()
