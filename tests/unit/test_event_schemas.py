"""The domain events' consumer contract: each event's EventBridge ``detail`` against its JSON
Schema (draft 2020-12, formats checked), and the sample events in events/eventbridge/."""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from integration import event_schemas
from integration.domain import events
from integration.domain.api_key import MAX_NAME_LENGTH as API_KEY_MAX_NAME_LENGTH
from integration.domain.clock import TIMESTAMP_PATTERN
from integration.domain.event_types import SERVICE_EVENT_TYPES, EventTypeCatalogue
from integration.domain.events import DomainEvent
from integration.domain.ids import is_valid_id
from integration.domain.url_policy import MAX_URL_LENGTH, UrlPolicy
from integration.domain.webhooks import (
    DISABLED_GONE,
    MAX_DESCRIPTION_LENGTH,
    MAX_EVENT_TYPES,
    MAX_NAME_LENGTH,
    WebhookFields,
    WebhookRules,
    WebhookStatus,
    create_webhook,
)
from integration.event_schemas import SCHEMA_EVENT_TYPES, load_schema
from local_runtime.template import PROJECT_ROOT

AT = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
# Fixed, well-formed ids (at AT): test ids stay the same from run to run and across pytest-xdist workers.
KEY_ID = "key_01Q3G996SE28T5CY4GNF6YY4HM"
PREVIOUS_KEY_ID = "key_01Q3G996SE5CY4TQKFE20S58XM"
WEBHOOK_ID = "wh_01Q3G996SE1ZPWQ84RESA346NW"
SAMPLES = PROJECT_ROOT / "events" / "eventbridge"
SECRET_LOOKING = {
    "secret": "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmU=",
    "key": "intk_live_abcdefghijklmnopqrstuvwxyz",
    "keyHash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "prefix": "intk_abc",
}

# Every factory in integration.domain.events, with the shapes of data it is called with.
FACTORY_CASES: dict[str, Callable[[], DomainEvent]] = {
    "ApiKeyCreated": lambda: events.api_key_created(api_key_id=KEY_ID, tenant_id="tenant-a", name="ci", created_by="operator", at=AT),
    "ApiKeyCreated/by-oidc": lambda: events.api_key_created(
        api_key_id=KEY_ID, tenant_id="tenant-a", name="ci", created_by="oidc:auth0|5f7c8ec7c33c6c004bbafe82", at=AT
    ),
    "ApiKeyRevoked": lambda: events.api_key_revoked(api_key_id=KEY_ID, tenant_id="tenant-a", at=AT),
    "ApiKeyRevoked/leaked": lambda: events.api_key_revoked(api_key_id=KEY_ID, tenant_id="tenant-a", at=AT, reason="leaked"),
    "ApiKeyRolled": lambda: events.api_key_rolled(
        api_key_id=KEY_ID,
        tenant_id="tenant-a",
        previous_api_key_id=PREVIOUS_KEY_ID,
        previous_key_expires_at=AT,
        created_by="oidc:auth0|5f7c8ec7c33c6c004bbafe82",
        at=AT,
    ),
    "ApiKeyUpdated": lambda: events.api_key_updated(api_key_id=KEY_ID, tenant_id="tenant-a", changes=["metadata"], at=AT),
    "ApiKeyUpdated/everything": lambda: events.api_key_updated(
        api_key_id=KEY_ID, tenant_id="tenant-a", changes=["name", "description", "metadata", "scopes"], at=AT
    ),
    "WebhookCreated": lambda: events.webhook_created(
        webhook_id=WEBHOOK_ID, tenant_id="tenant-a", name="orders", url="https://example.com/hooks?x=1", at=AT
    ),
    "WebhookUpdated/name": lambda: events.webhook_updated(
        webhook_id=WEBHOOK_ID, tenant_id="tenant-a", changes={"name": "n"}, at=AT
    ),
    "WebhookUpdated/url": lambda: events.webhook_updated(
        webhook_id=WEBHOOK_ID, tenant_id="tenant-a", changes={"url": "http://127.0.0.1:8000/hooks"}, at=AT
    ),
    "WebhookUpdated/events": lambda: events.webhook_updated(
        webhook_id=WEBHOOK_ID, tenant_id="tenant-a", changes={"events": ["*", "invoice.paid"]}, at=AT
    ),
    "WebhookUpdated/description-cleared": lambda: events.webhook_updated(
        webhook_id=WEBHOOK_ID, tenant_id="tenant-a", changes={"description": None}, at=AT
    ),
    "WebhookUpdated/everything": lambda: events.webhook_updated(
        webhook_id=WEBHOOK_ID,
        tenant_id="tenant-a",
        changes={
            "name": "orders v2",
            "url": "https://example.com/v2",
            "events": ["WebhookDeleted"],
            "description": "all orders",
            "status": "disabled",
        },
        at=AT,
    ),
    "WebhookDeleted": lambda: events.webhook_deleted(webhook_id=WEBHOOK_ID, tenant_id="tenant-a", at=AT),
    "WebhookSecretRotated": lambda: events.webhook_secret_rotated(
        webhook_id=WEBHOOK_ID, tenant_id="tenant-a", previous_secret_expires_at=AT, at=AT
    ),
    "WebhookSecretRotated/no-grace": lambda: events.webhook_secret_rotated(
        webhook_id=WEBHOOK_ID, tenant_id="tenant-a", previous_secret_expires_at=None, at=AT
    ),
    "WebhookDisabled": lambda: events.webhook_disabled(webhook_id=WEBHOOK_ID, tenant_id="tenant-a", failing_since=AT, at=AT),
    "WebhookDisabled/gone": lambda: events.webhook_disabled(
        webhook_id=WEBHOOK_ID, tenant_id="tenant-a", failing_since=AT, at=AT, reason=DISABLED_GONE
    ),
}


def validator(event_type: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(event_type), format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(event_type: str, detail: dict[str, Any]) -> list[str]:
    """Every validation error of ``detail`` against ``event_type``'s schema, as messages."""
    return [error.message for error in validator(event_type).iter_errors(detail)]


def event_type_of(case: str) -> str:
    return case.split("/")[0]


def detail_of(case: str) -> dict[str, Any]:
    return FACTORY_CASES[case]().detail


# ------------------------------------------------------------------ the schemas themselves


def test_there_is_one_schema_per_service_event_type() -> None:
    assert len(SCHEMA_EVENT_TYPES) == len(set(SCHEMA_EVENT_TYPES))
    assert set(SCHEMA_EVENT_TYPES) == set(SERVICE_EVENT_TYPES)
    assert {event_type_of(case) for case in FACTORY_CASES} == set(SERVICE_EVENT_TYPES)


@pytest.mark.parametrize("event_type", SERVICE_EVENT_TYPES)
def test_every_schema_is_a_valid_draft_2020_12_schema_with_the_envelope(event_type: str) -> None:
    schema = load_schema(event_type)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:integration:event:{event_type}:v1"
    assert schema["title"] == event_type
    assert isinstance(schema["description"], str) and schema["description"].strip()
    assert "\n" not in schema["description"]
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"])
    properties = schema["properties"]
    assert properties["eventId"]["pattern"] == "^evt_[0-9A-HJKMNP-TV-Z]{26}$"
    assert (properties["occurredAt"]["type"], properties["occurredAt"]["format"]) == ("string", "date-time")
    assert properties["version"]["const"] == events.SCHEMA_VERSION


def test_an_invalid_schema_is_refused_by_the_check() -> None:
    """The meta-schema check above can fail: a schema with a wrong keyword type is refused."""
    broken = {**load_schema("ApiKeyRevoked"), "required": "apiKeyId"}
    with pytest.raises(SchemaError):
        Draft202012Validator.check_schema(broken)


def test_the_schemas_limits_are_the_domains_limits() -> None:
    assert load_schema("ApiKeyCreated")["properties"]["name"]["maxLength"] == API_KEY_MAX_NAME_LENGTH
    created = load_schema("WebhookCreated")["properties"]
    assert created["name"]["maxLength"] == MAX_NAME_LENGTH
    assert created["url"]["maxLength"] == MAX_URL_LENGTH
    changes = load_schema("WebhookUpdated")["properties"]["changes"]["properties"]
    assert changes["name"]["maxLength"] == MAX_NAME_LENGTH
    assert changes["url"]["maxLength"] == MAX_URL_LENGTH
    assert changes["events"]["maxItems"] == MAX_EVENT_TYPES
    assert changes["description"]["maxLength"] == MAX_DESCRIPTION_LENGTH
    assert changes["status"]["enum"] == [status.value for status in WebhookStatus]


def test_load_schema_is_cached_and_refuses_unknown_types() -> None:
    assert load_schema("WebhookCreated") is load_schema("WebhookCreated")
    for unknown in ("invoice.paid", "*", "../event_schemas/WebhookCreated", "__init__"):
        with pytest.raises(KeyError):
            load_schema(unknown)


def test_the_loader_imports_nothing_outside_the_standard_library() -> None:
    """The layer ships it to every function; jsonschema is a test-only dependency."""
    source = Path(event_schemas.__file__).read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported and imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


# ------------------------------------------------------------------ the factories' details


@pytest.mark.parametrize("case", sorted(FACTORY_CASES))
def test_every_factorys_detail_validates_against_its_schema(case: str) -> None:
    domain_event = FACTORY_CASES[case]()
    assert domain_event.event_type == event_type_of(case)
    assert errors(domain_event.event_type, domain_event.detail) == []


def test_the_changes_the_domain_computes_for_a_put_validate() -> None:
    """``Webhook.replaced`` turns enums and tuples into JSON values the schema accepts."""
    rules = WebhookRules(url_policy=UrlPolicy(), catalogue=EventTypeCatalogue(("invoice.paid",)))
    before = rules.check(
        WebhookFields(
            name="orders", url="https://example.com/a", events=("WebhookCreated",), description="d", status=WebhookStatus.ACTIVE
        )
    )
    webhook = create_webhook(tenant_id="tenant-a", fields=before, now=AT)
    after = rules.check(
        WebhookFields(
            name=" all ",
            url="https://example.com/b",
            events=("*", "invoice.paid"),
            description=None,
            status=WebhookStatus.DISABLED,
        )
    )
    _, changes = webhook.replaced(after, AT)
    assert set(changes) == {"name", "url", "events", "description", "status"}
    event = events.webhook_updated(webhook_id=webhook.id, tenant_id=webhook.tenant_id, changes=changes, at=AT)
    assert errors("WebhookUpdated", event.detail) == []
    created = events.webhook_created(webhook_id=webhook.id, tenant_id="tenant-a", name=webhook.name, url=webhook.url, at=AT)
    assert errors("WebhookCreated", created.detail) == []


@pytest.mark.parametrize("case", sorted(FACTORY_CASES))
def test_a_detail_with_an_extra_field_fails(case: str) -> None:
    detail = {**detail_of(case), "unexpected": 1}
    assert errors(event_type_of(case), detail)


@pytest.mark.parametrize("field", sorted(SECRET_LOOKING))
@pytest.mark.parametrize("event_type", SERVICE_EVENT_TYPES)
def test_a_detail_carrying_a_secret_looking_field_fails(event_type: str, field: str) -> None:
    case = "WebhookUpdated/everything" if event_type == "WebhookUpdated" else event_type
    detail = {**detail_of(case), field: SECRET_LOOKING[field]}
    assert errors(event_type, detail)


def test_changes_carrying_the_secret_fail() -> None:
    detail = detail_of("WebhookUpdated/everything")
    detail["changes"] = {**detail["changes"], "secret": SECRET_LOOKING["secret"]}
    assert errors("WebhookUpdated", detail)


@pytest.mark.parametrize("case", sorted(FACTORY_CASES))
def test_a_detail_missing_any_field_fails(case: str) -> None:
    detail = detail_of(case)
    for field in detail:
        incomplete = {name: value for name, value in detail.items() if name != field}
        assert errors(event_type_of(case), incomplete), f"{case} validates without {field}"


def test_the_fixed_ids_are_well_formed() -> None:
    """So a wrong-value case below fails on its prefix, not on a malformed id."""
    assert is_valid_id(KEY_ID, "key") and is_valid_id(PREVIOUS_KEY_ID, "key") and is_valid_id(WEBHOOK_ID, "wh")


@pytest.mark.parametrize(
    ("case", "field", "value"),
    [
        ("ApiKeyCreated", "apiKeyId", WEBHOOK_ID),
        ("ApiKeyCreated", "apiKeyId", "key_01ILLEGALCHARSILOU00000000"),
        ("ApiKeyCreated", "name", ""),
        ("ApiKeyCreated", "name", "x" * (API_KEY_MAX_NAME_LENGTH + 1)),
        ("ApiKeyRevoked", "tenantId", ""),
        ("ApiKeyRevoked", "eventId", KEY_ID),
        ("ApiKeyRevoked", "eventId", "evt_1"),
        ("WebhookCreated", "webhookId", KEY_ID),
        ("WebhookCreated", "url", "not a url"),
        ("WebhookCreated", "url", "/relative/path"),
        ("WebhookDeleted", "occurredAt", "2030-01-02T03:04:05"),  # no offset: not RFC 3339
        ("WebhookDeleted", "occurredAt", "yesterday"),
        ("WebhookDeleted", "occurredAt", 1_893_553_445),
        ("WebhookDeleted", "version", 2),
        ("WebhookDeleted", "version", "1"),
        ("WebhookUpdated/name", "changes", {}),
        ("WebhookUpdated/name", "changes", {"status": "paused"}),
        ("WebhookUpdated/name", "changes", {"events": []}),
        ("WebhookUpdated/name", "changes", {"events": "*"}),
        ("WebhookUpdated/name", "changes", {"url": "example.com/hooks"}),
        ("WebhookUpdated/name", "changes", {"description": 5}),
        ("WebhookUpdated/name", "changes", None),
    ],
)
def test_a_detail_with_a_wrong_value_fails(case: str, field: str, value: Any) -> None:
    detail = {**detail_of(case), field: value}
    assert errors(event_type_of(case), detail)


def test_a_naive_occurred_at_is_never_written() -> None:
    """The detail's ``occurredAt`` is RFC 3339 only for a time-zone-aware time (the clock's)."""
    event = replace(FACTORY_CASES["WebhookDeleted"](), occurred_at=AT.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        _ = event.detail


@pytest.mark.parametrize("case", sorted(FACTORY_CASES))
def test_every_time_in_a_detail_is_written_one_way(case: str) -> None:
    """UTC, milliseconds, Z (``AT`` has 678000 microseconds): the schema's pattern, and nothing else."""
    detail = detail_of(case)
    schema = load_schema(event_type_of(case))
    times = {name: value for name, value in detail.items() if schema["properties"][name].get("format") == "date-time"}
    assert times["occurredAt"] == "2030-01-02T03:04:05.678Z"
    for name, value in times.items():
        assert schema["properties"][name]["pattern"] == TIMESTAMP_PATTERN
        assert value is None or value == "2030-01-02T03:04:05.678Z", name


def test_a_time_that_is_not_written_the_one_way_breaks_the_contract() -> None:
    detail = detail_of("WebhookDeleted")
    for written in ("2030-01-02T03:04:05.678000Z", "2030-01-02T03:04:05.678+00:00", "2030-01-02T03:04:05Z"):
        assert errors("WebhookDeleted", {**detail, "occurredAt": written}), written


# ------------------------------------------------------------------ events/eventbridge samples


def test_there_is_one_eventbridge_sample_per_service_event_type() -> None:
    assert sorted(path.stem for path in SAMPLES.glob("*.json")) == sorted(SERVICE_EVENT_TYPES)


@pytest.mark.parametrize("event_type", SERVICE_EVENT_TYPES)
def test_each_eventbridge_sample_is_a_delivered_event_whose_detail_validates(event_type: str) -> None:
    sample = json.loads((SAMPLES / f"{event_type}.json").read_text(encoding="utf-8"))
    assert set(sample) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
    assert sample["version"] == "0"
    assert sample["detail-type"] == event_type
    assert sample["source"] == "integration"
    assert sample["resources"] == []
    assert errors(event_type, sample["detail"]) == []
    # PutEvents' Time is the event's occurredAt; EventBridge delivers it to the second.
    occurred_at = datetime.fromisoformat(sample["detail"]["occurredAt"])
    assert sample["time"] == occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
