"""The consumer-facing contract of the domain events: one JSON Schema (draft 2020-12) per
event type, for the EventBridge ``detail`` (see :attr:`integration.domain.events.DomainEvent.detail`).

The schemas are the ``<EventType>.json`` files next to this module; each one's ``description``
is that event type's one-line description in the catalogue (GET /event-types).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

_DIRECTORY = Path(__file__).resolve().parent

SCHEMA_EVENT_TYPES: tuple[str, ...] = tuple(sorted(path.stem for path in _DIRECTORY.glob("*.json")))


@functools.cache
def load_schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema of ``event_type``'s ``detail``; :class:`KeyError` for a type without one.

    Cached: treat the returned dict as read-only.
    """
    if event_type not in SCHEMA_EVENT_TYPES:
        raise KeyError(f"no JSON Schema for event type {event_type!r}")
    schema: dict[str, Any] = json.loads((_DIRECTORY / f"{event_type}.json").read_text(encoding="utf-8"))
    return schema
