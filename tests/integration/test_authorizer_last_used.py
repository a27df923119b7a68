"""``last_used_at``: written by the authorizer at most once a minute per key, with no extra read.

DynamoDB calls are counted with botocore's event hooks on the real (moto-backed) client.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from integration import wiring
from integration.application.authentication import AuthenticateApiKeyUseCase
from integration.domain.clock import format_timestamp
from integration.domain.key_format import hash_key
from integration.infrastructure.aws import dynamodb_client
from tests.conftest import Api
from tests.integration.helpers import create_key, items


@pytest.fixture
def calls(aws: Any) -> Iterator[list[str]]:
    """The DynamoDB operations the service's client makes from now on."""
    made: list[str] = []

    def count(model: Any, **_: Any) -> None:
        made.append(model.name)

    client = dynamodb_client()
    client.meta.events.register("before-call.dynamodb.*", count)
    yield made
    client.meta.events.unregister("before-call.dynamodb.*", count)


def shown(api: Api, key_id: str, tenant: str = "tenant-a") -> str | None:
    status, _, body = api.call("GET", f"/api-keys/{key_id}", tenant=tenant)
    assert status == 200, body
    return body["last_used_at"]


def stored(dynamodb: Any, table_name: str, key_id: str) -> dict[str, Any]:
    """The key's two items' last_used_at: {'ApiKey': ..., 'ApiKeyLookup': ...}."""
    return {item["entity"]: item.get("last_used_at") for item in items(dynamodb, table_name) if item.get("id") == key_id}


def test_a_new_key_shows_last_used_at_null_in_get_list_and_create(api: Api) -> None:
    created = create_key(api)

    assert created["last_used_at"] is None
    assert shown(api, created["id"]) is None
    assert api.call("GET", "/api-keys")[2]["items"][0]["last_used_at"] is None


def test_the_first_use_reads_once_and_records_the_time_on_both_items(api: Api, calls: list[str], dynamodb: Any, table_name: str) -> None:
    created = create_key(api)
    before = datetime.now(UTC)
    calls.clear()

    api.authorize({"x-api-key": created["key"]})

    assert calls == ["GetItem", "UpdateItem", "UpdateItem"]  # the lookup read, then lookup and key item
    recorded = stored(dynamodb, table_name, created["id"])
    assert recorded["ApiKey"] == recorded["ApiKeyLookup"]
    last_used = datetime.fromisoformat(recorded["ApiKey"])
    assert before <= last_used <= datetime.now(UTC)
    assert shown(api, created["id"]) == format_timestamp(last_used)


def test_a_second_use_within_the_minute_writes_nothing(api: Api, calls: list[str]) -> None:
    created = create_key(api)
    api.authorize({"authorization": f"Bearer {created['key']}"})
    first = shown(api, created["id"])
    calls.clear()

    for _ in range(3):
        api.authorize({"authorization": f"Bearer {created['key']}"})

    assert calls == ["GetItem"] * 3
    assert shown(api, created["id"]) == first


def test_a_use_a_minute_later_writes_again_and_get_shows_it(api: Api, calls: list[str]) -> None:
    created = create_key(api)
    first_use = datetime.now(UTC) + timedelta(seconds=1)
    at = {"now": first_use}
    authenticate = AuthenticateApiKeyUseCase(wiring.api_key_repository(), clock=lambda: at["now"])
    authenticate.execute(created["key"])
    assert shown(api, created["id"]) == format_timestamp(first_use)

    calls.clear()
    at["now"] = first_use + timedelta(seconds=59)
    authenticate.execute(created["key"])
    assert calls == ["GetItem"]

    calls.clear()
    at["now"] = first_use + timedelta(minutes=1, seconds=5)
    authenticate.execute(created["key"])
    assert calls == ["GetItem", "UpdateItem", "UpdateItem"]
    assert shown(api, created["id"]) == format_timestamp(first_use + timedelta(minutes=1, seconds=5))
    listed = api.call("GET", "/api-keys")[2]["items"]
    assert [item["last_used_at"] for item in listed if item["id"] == created["id"]] == [
        format_timestamp(first_use + timedelta(minutes=1, seconds=5))
    ]


def test_authorizers_racing_on_one_stale_read_write_once(api: Api, calls: list[str], dynamodb: Any, table_name: str) -> None:
    created = create_key(api)
    repository = wiring.api_key_repository()
    read_by_both = repository.find_by_hash(hash_key(created["key"]))
    assert read_by_both is not None and read_by_both.last_used_at is None
    now = datetime.now(UTC)
    calls.clear()

    first = repository.record_use(read_by_both, now)
    second = repository.record_use(read_by_both, now + timedelta(seconds=2))  # read the same old value

    assert (first, second) == (True, False)
    assert calls == ["UpdateItem", "UpdateItem", "UpdateItem"]  # the second's conditional write failed, nothing after it
    assert stored(dynamodb, table_name, created["id"]) == {"ApiKey": now.isoformat(), "ApiKeyLookup": now.isoformat()}


def test_a_refused_key_records_no_use(api: Api, calls: list[str]) -> None:
    created = create_key(api)
    api.call("POST", f"/api-keys/{created['id']}/revoke")
    calls.clear()

    with pytest.raises(Exception, match="Unauthorized"):
        api.authorize({"x-api-key": created["key"]})

    assert calls == ["GetItem"]
    assert shown(api, created["id"]) is None


def test_a_failed_last_used_write_never_refuses_the_request(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from integration.observability import logger

    log = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", log)
    created = create_key(api, tenant="tenant-f")

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    client = dynamodb_client()
    client.meta.events.register("before-call.dynamodb.UpdateItem", unreachable)
    try:
        response = api.authorize({"x-api-key": created["key"]})
    finally:
        client.meta.events.unregister("before-call.dynamodb.UpdateItem", unreachable)

    assert response["context"]["tenantId"] == "tenant-f"
    warnings = [entry for entry in map(json.loads, log.getvalue().splitlines()) if entry["level"] == "WARNING"]
    assert [(entry["message"], entry["api_key_id"], entry["error"]) for entry in warnings] == [
        ("could not record the API key's last use", created["id"], "EndpointConnectionError")
    ]
    assert shown(api, created["id"], tenant="tenant-f") is None
    assert created["key"] not in log.getvalue()


def test_revoking_keeps_last_used_at(api: Api) -> None:
    created = create_key(api)
    api.authorize({"x-api-key": created["key"]})
    used = shown(api, created["id"])

    status, _, revoked = api.call("POST", f"/api-keys/{created['id']}/revoke")

    assert status == 200 and revoked["status"] == "revoked" and revoked["last_used_at"] == used is not None
