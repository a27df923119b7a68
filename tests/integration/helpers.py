"""Small helpers shared by the handler tests (the fixtures themselves live in tests/conftest.py)."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from tests.conftest import ALL, Api, scan_all

PROBLEM = "application/problem+json"
VIEW_FIELDS = {
    "id",
    "name",
    "scopes",
    "description",
    "metadata",
    "prefix",
    "status",
    "created_at",
    "created_by",
    "expires_at",
    "revoked_at",
    "revoked_reason",
    "rolled_from",
    "last_used_at",
}
FUTURE = "2100-01-01T00:00:00Z"
WEBHOOK_VIEW_FIELDS = {
    "id",
    "name",
    "url",
    "events",
    "description",
    "status",
    "disabled_reason",
    "failing_since",
    "previous_secret_expires_at",
    "created_at",
    "updated_at",
}

_deserializer = TypeDeserializer()


def create_key(
    api: Api,
    *,
    tenant: str = "tenant-a",
    name: str = "ci",
    scopes: tuple[str, ...] = ("api-keys:read",),
    expires_at: str | None = None,
    caller_scopes: str = ALL,
) -> dict[str, Any]:
    """POST /api-keys as ``tenant``; the 201 body (with the plaintext ``key``)."""
    body: dict[str, Any] = {"name": name, "scopes": list(scopes)}
    if expires_at is not None:
        body["expires_at"] = expires_at
    status, _, created = api.call("POST", "/api-keys", tenant=tenant, scopes=caller_scopes, body=body)
    assert status == 201, created
    return created


WEBHOOK_URL = "https://example.com/hooks/orders"


def create_webhook(
    api: Api, url: str = WEBHOOK_URL, *, tenant: str = "tenant-a", name: str = "orders", events: Any = ("*",), **fields: Any
) -> dict[str, Any]:
    """POST /webhooks as ``tenant``; the 201 body (with the secret)."""
    body = {"name": name, "url": url, "events": list(events), **fields}
    status, _, created = api.call("POST", "/webhooks", tenant=tenant, body=body)
    assert status == 201, created
    return created


def assert_problem(response: tuple[int, dict[str, str], Any], status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with ``status``; returns its body."""
    actual_status, headers, body = response
    assert actual_status == status, body
    assert headers["content-type"] == PROBLEM
    assert isinstance(body, dict), body
    assert body["type"].startswith("urn:integration:problem:")
    assert body["title"] == HTTPStatus(status).phrase
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def items(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    """Every item of the table as plain Python values."""
    return [{name: _deserializer.deserialize(value) for name, value in item.items()} for item in scan_all(dynamodb, table_name)]


def outbox(dynamodb: Any, table_name: str, event_type: str | None = None) -> list[dict[str, Any]]:
    """The outbox items (optionally of one event type), each with ``detail`` parsed."""
    found = []
    for item in items(dynamodb, table_name):
        if item.get("entity") == "OutboxEvent" and event_type in (None, item.get("event_type")):
            found.append({**item, "detail": json.loads(item["detail"])})
    return found
