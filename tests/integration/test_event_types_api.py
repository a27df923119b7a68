"""GET /event-types through the real handler: the catalogue, each service event's JSON Schema,
the deployment's platform event types, the EventBridge source, and who may read it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from integration.domain import events
from integration.domain.event_types import SERVICE_EVENT_TYPES
from integration.domain.ids import new_id
from integration.event_schemas import load_schema
from local_runtime.resources import Stack
from tests.conftest import Api

ITEM_FIELDS = {"type", "description", "schema", "example", "origin"}


def catalogue(api: Api, **call: Any) -> dict[str, Any]:
    status, headers, body = api.call("GET", "/event-types", **call)
    assert status == 200, body
    assert headers["content-type"] == "application/json"
    assert set(body) == {"source", "wildcard", "items"}
    for item in body["items"]:
        assert set(item) == ITEM_FIELDS, item
    return body


def by_type(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    items = {item["type"]: item for item in body["items"]}
    assert len(items) == len(body["items"]), "an event type is listed twice"
    return items


def test_lists_every_service_event_type_with_its_schema(api: Api) -> None:
    body = catalogue(api)
    assert [item["type"] for item in body["items"]] == list(SERVICE_EVENT_TYPES)
    assert body["wildcard"] == "*"
    assert "*" not in by_type(body)
    for event_type, item in by_type(body).items():
        assert item["origin"] == "service"
        assert item["schema"] == load_schema(event_type)
        assert item["description"] == load_schema(event_type)["description"]
        Draft202012Validator.check_schema(item["schema"])
        assert item["example"] == load_schema(event_type)["examples"][0]
        validator = Draft202012Validator(item["schema"], format_checker=Draft202012Validator.FORMAT_CHECKER)
        assert list(validator.iter_errors(item["example"])) == []


def test_a_served_schema_validates_what_the_service_publishes(api: Api) -> None:
    """A consumer can take the schema from the endpoint and check a real detail with it."""
    schema = by_type(catalogue(api))["WebhookCreated"]["schema"]
    at = datetime(2030, 1, 1, tzinfo=UTC)
    created = events.webhook_created(webhook_id=new_id("wh"), tenant_id="t", name="orders", url="https://example.com/", at=at)
    detail = created.detail
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(detail)) == []
    assert list(validator.iter_errors({**detail, "secret": "whsec_x"}))


def test_platform_event_types_are_listed_without_a_schema_when_none_is_published(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_EVENT_TYPES", "invoice.paid, order.created,WebhookCreated")
    api.cold_start()
    body = catalogue(api)
    assert [item["type"] for item in body["items"]] == [*SERVICE_EVENT_TYPES, "invoice.paid", "order.created"]
    items = by_type(body)
    for platform_type in ("invoice.paid", "order.created"):
        assert items[platform_type]["origin"] == "platform"
        assert items[platform_type]["schema"] is None and items[platform_type]["example"] is None
        assert items[platform_type]["description"]
    # A platform type that repeats a service type stays the service's, with its schema.
    assert items["WebhookCreated"]["origin"] == "service"
    assert items["WebhookCreated"]["schema"] == load_schema("WebhookCreated")


def test_without_platform_event_types_only_service_types_are_listed(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_EVENT_TYPES", "invoice.paid")
    api.cold_start()
    assert "invoice.paid" in by_type(catalogue(api))
    monkeypatch.setenv("PLATFORM_EVENT_TYPES", "")
    api.cold_start()
    assert {item["origin"] for item in catalogue(api)["items"]} == {"service"}


@pytest.mark.parametrize("scopes", ["", "webhooks:read", "api-keys:write"])
def test_any_authenticated_key_may_read_it_even_without_scopes(api: Api, scopes: str) -> None:
    body = catalogue(api, scopes=scopes, tenant="tenant-b")
    assert set(by_type(body)) == set(SERVICE_EVENT_TYPES)


def test_a_request_without_an_authenticated_tenant_is_refused(api: Api) -> None:
    status, headers, body = api.call("GET", "/event-types", tenant="")
    assert status == 401
    assert headers["content-type"] == "application/problem+json"
    assert body["status"] == 401


def test_source_is_the_event_source_the_function_is_configured_with(
    api: Api, aws: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured = aws.function_environment("ListEventTypesFunction")["EVENT_SOURCE"]
    monkeypatch.setenv("EVENT_SOURCE", configured)
    api.cold_start()
    assert catalogue(api)["source"] == configured == "integration"  # template.yaml's default
    monkeypatch.setenv("EVENT_SOURCE", "acme.integration")
    api.cold_start()
    assert catalogue(api)["source"] == "acme.integration"


def test_source_defaults_to_integration_when_unset(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENT_SOURCE", raising=False)
    api.cold_start()
    assert catalogue(api)["source"] == "integration"
