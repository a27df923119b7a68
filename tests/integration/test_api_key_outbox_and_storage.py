"""What the table holds: one outbox event per change, never a secret, never a plaintext key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integration.domain.ids import is_valid_id
from integration.domain.key_format import hash_key
from tests.conftest import Api
from tests.integration.helpers import FUTURE, create_key, items, outbox


def secrets_of(created: dict[str, Any]) -> list[str]:
    """What must never reach the outbox: the key, its random part, its hash and its display prefix."""
    key = created["key"]
    return [key, key[len("intk_") :], key[len("intk_") : len("intk_") + 32], hash_key(key), created["prefix"]]


def all_text(value: Any) -> str:
    return repr(value)


def test_creating_a_key_records_exactly_one_api_key_created_event(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_key(api, tenant="tenant-a", name="deploy bot")

    events = outbox(dynamodb, table_name)

    assert len(events) == 1
    event = events[0]
    assert event["entity"] == "OutboxEvent"
    assert event["event_type"] == "ApiKeyCreated"
    assert event["tenant_id"] == "tenant-a"
    assert event["aggregate_id"] == created["id"]
    detail = event["detail"]
    assert set(detail) == {"apiKeyId", "tenantId", "name", "createdBy", "eventId", "occurredAt", "version"}
    assert detail["apiKeyId"] == created["id"]
    assert detail["tenantId"] == "tenant-a"
    assert detail["name"] == "deploy bot"
    assert detail["createdBy"] == created["created_by"] == "key_test"
    assert detail["version"] == 1
    assert detail["eventId"] == event["event_id"] and is_valid_id(detail["eventId"], "evt")
    assert detail["occurredAt"].endswith("Z")
    assert datetime.fromisoformat(detail["occurredAt"]) == datetime.fromisoformat(created["created_at"])


def test_the_created_event_holds_nothing_secret(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_key(api, scopes=("api-keys:read", "api-keys:write"))

    (event,) = outbox(dynamodb, table_name)

    text = all_text(event)
    for secret in secrets_of(created):
        assert secret not in text


def test_revoking_a_key_records_one_api_key_revoked_event_with_nothing_secret(
    api: Api, dynamodb: Any, table_name: str
) -> None:
    created = create_key(api)

    _, _, revoked = api.call("POST", f"/api-keys/{created['id']}/revoke")

    (event,) = outbox(dynamodb, table_name, "ApiKeyRevoked")
    assert event["tenant_id"] == "tenant-a"
    assert event["aggregate_id"] == created["id"]
    detail = event["detail"]
    assert set(detail) == {"apiKeyId", "tenantId", "reason", "eventId", "occurredAt", "version"}
    assert detail["reason"] == "requested"
    assert detail["apiKeyId"] == created["id"] and detail["tenantId"] == "tenant-a"
    assert datetime.fromisoformat(detail["occurredAt"]) == datetime.fromisoformat(revoked["revoked_at"])
    text = all_text(event)
    for secret in secrets_of(created):
        assert secret not in text
    assert len(outbox(dynamodb, table_name)) == 2  # the created event and this one


def test_the_table_never_holds_a_plaintext_key(api: Api, dynamodb: Any, table_name: str) -> None:
    created = [
        create_key(api, tenant="tenant-a", name="one"),
        create_key(api, tenant="tenant-a", name="two", scopes=("webhooks:read", "webhooks:write"), expires_at=FUTURE),
        create_key(api, tenant="tenant-b", name="three", scopes=("api-keys:read", "api-keys:write")),
        create_key(api, tenant="tenant-b", name="four"),
    ]
    api.call("POST", f"/api-keys/{created[0]['id']}/revoke", tenant="tenant-a")

    stored = all_text(items(dynamodb, table_name))

    for key in created:
        plaintext = key["key"]
        assert plaintext not in stored
        assert plaintext[len("intk_") :] not in stored  # random part and checksum
        assert plaintext[len("intk_") : len("intk_") + 32] not in stored  # random part alone
        assert hash_key(plaintext) in stored  # positive control: the key is stored, by its hash
