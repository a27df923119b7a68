"""Platform event schemas as published (their parsing) and the catalogue's description of every
type: service types from their schemas, platform types from what is published, else null."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from integration.domain.event_type_schemas import (
    PLATFORM_EVENT_TYPE_DESCRIPTION,
    EventTypeSchemas,
    NoPlatformEventSchemas,
    PlatformEventSchema,
    parse_platform_event_schema,
)
from integration.domain.event_types import SERVICE_EVENT_TYPES, EventTypeCatalogue
from integration.event_schemas import load_schema

INVOICE = {
    "description": "An invoice was paid.",
    "schema": {"type": "object", "required": ["invoiceId"], "properties": {"invoiceId": {"type": "string"}}},
    "example": {"tenantId": "acme", "invoiceId": "inv_1"},
}


def test_a_published_value_is_read() -> None:
    parsed = parse_platform_event_schema(json.dumps(INVOICE))
    assert parsed == PlatformEventSchema(INVOICE["description"], INVOICE["schema"], INVOICE["example"])


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not json", "not JSON"),
        ("[]", "not a JSON object"),
        (json.dumps({**INVOICE, "extra": 1}), "unknown fields: extra"),
        (json.dumps({**INVOICE, "description": " "}), "description"),
        (json.dumps({**INVOICE, "description": "x" * 501}), "at most 500"),
        (json.dumps({k: v for k, v in INVOICE.items() if k != "schema"}), "schema"),
        (json.dumps({**INVOICE, "schema": "object"}), "schema"),
        (json.dumps({**INVOICE, "example": None}), "example"),
        (json.dumps({**INVOICE, "example": [1]}), "example"),
    ],
)
def test_a_malformed_value_is_refused_saying_why(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_platform_event_schema(value)


class Published:
    """What a platform source hands back (a plain mapping; the SSM adapter is tested on moto)."""

    def __init__(self, schemas: Mapping[str, PlatformEventSchema]) -> None:
        self.current = schemas
        self.reads = 0

    def schemas(self) -> Mapping[str, PlatformEventSchema]:
        self.reads += 1
        return self.current


def schemas(platform_types: tuple[str, ...], source: Any) -> EventTypeSchemas:
    return EventTypeSchemas(EventTypeCatalogue(platform_types), load_schema, source)


def test_every_type_is_described_service_types_with_their_example_platform_types_as_published() -> None:
    source = Published({"invoice.paid": parse_platform_event_schema(json.dumps(INVOICE))})
    described = {item.type: item for item in schemas(("invoice.paid", "order.created"), source).describe_all()}
    assert list(described) == [*SERVICE_EVENT_TYPES, "invoice.paid", "order.created"]
    for event_type in SERVICE_EVENT_TYPES:
        schema = load_schema(event_type)
        assert (described[event_type].origin, described[event_type].schema) == ("service", schema)
        assert described[event_type].example == schema["examples"][0]
        assert described[event_type].description == schema["description"]
    paid = described["invoice.paid"]
    assert (paid.origin, paid.description, paid.schema, paid.example) == (
        "platform",
        INVOICE["description"],
        INVOICE["schema"],
        INVOICE["example"],
    )
    created = described["order.created"]
    assert (created.origin, created.description, created.schema, created.example) == (
        "platform",
        PLATFORM_EVENT_TYPE_DESCRIPTION,
        None,
        None,
    )


def test_the_same_published_copy_gives_the_same_description_object_so_callers_cache_by_identity() -> None:
    source = Published({})
    catalogue = schemas(("invoice.paid",), source)
    first = catalogue.describe_all()
    assert catalogue.describe_all() is first
    source.current = {"invoice.paid": parse_platform_event_schema(json.dumps(INVOICE))}
    assert catalogue.describe_all() is not first


def test_without_platform_types_the_platform_source_is_never_read() -> None:
    source = Published({})
    catalogue = schemas((), source)
    catalogue.describe_all(), catalogue.describe("WebhookCreated")
    assert source.reads == 0


def test_describe_refuses_the_wildcard_and_types_outside_the_catalogue() -> None:
    catalogue = schemas(("invoice.paid",), NoPlatformEventSchemas())
    assert catalogue.describe("*") is None
    assert catalogue.describe("order.created") is None
    assert catalogue.describe("webhook.test") is None
    described = catalogue.describe("invoice.paid")
    assert described is not None and described.example is None
