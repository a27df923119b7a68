"""The Lambda authorizer: which presented keys open the API, and what it tells the functions."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integration import wiring
from integration.application.api_keys import CreateApiKeyUseCase
from integration.domain.key_format import generate_key
from integration.domain.principal import operator
from tests.conftest import Api
from tests.integration.helpers import FUTURE, create_key, items


def refused(api: Api, headers: dict[str, str]) -> str:
    """Run the authorizer expecting a refusal; the message it raised."""
    with pytest.raises(Exception) as raised:  # noqa: PT011 - API Gateway's contract is a bare Exception
        api.authorize(headers)
    assert type(raised.value) is Exception
    return str(raised.value)


@pytest.mark.parametrize(
    "as_headers",
    [
        pytest.param(lambda key: {"authorization": f"Bearer {key}"}, id="bearer"),
        pytest.param(lambda key: {"x-api-key": key}, id="x-api-key"),
    ],
)
def test_a_valid_key_is_authorized_with_its_tenant_id_and_scopes(
    api: Api, as_headers: Callable[[str], dict[str, str]]
) -> None:
    created = create_key(api, tenant="tenant-b", scopes=("api-keys:write", "webhooks:read", "api-keys:read"))

    response = api.authorize(as_headers(created["key"]))

    assert response == {
        "isAuthorized": True,
        "context": {
            "tenantId": "tenant-b",
            "keyId": created["id"],
            "credentialId": created["id"],
            "scopes": "api-keys:read api-keys:write webhooks:read",
            "expiresAt": "",
        },
    }


def test_the_authorizer_context_lets_the_caller_use_exactly_its_scopes(api: Api) -> None:
    created = create_key(api, tenant="tenant-b", scopes=("api-keys:read",))
    context = api.authorize({"x-api-key": created["key"]})["context"]

    listed = api.call("GET", "/api-keys", tenant=context["tenantId"], scopes=context["scopes"])
    refused_create = api.call("POST", "/api-keys", tenant=context["tenantId"], scopes=context["scopes"], body={"name": "x", "scopes": ["api-keys:read"]})

    assert listed[0] == 200 and [item["id"] for item in listed[2]["items"]] == [created["id"]]
    assert refused_create[0] == 403


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-credential"),
        pytest.param({"authorization": "Bearer not-a-key"}, id="malformed"),
        pytest.param({"authorization": "Basic dXNlcjpwYXNz"}, id="basic-scheme"),
        pytest.param({"x-api-key": generate_key()}, id="well-formed-but-unknown"),
    ],
)
def test_a_request_without_a_valid_key_is_unauthorized(api: Api, headers: dict[str, str]) -> None:
    assert refused(api, headers) == "Unauthorized"


def test_a_key_with_a_wrong_checksum_is_unauthorized(api: Api) -> None:
    key = create_key(api)["key"]
    mistyped = key[:-1] + ("a" if key[-1] != "a" else "b")

    assert refused(api, {"x-api-key": mistyped}) == "Unauthorized"


def test_two_different_valid_keys_in_the_two_headers_are_unauthorized(api: Api) -> None:
    first, second = create_key(api), create_key(api)

    assert refused(api, {"authorization": f"Bearer {first['key']}", "x-api-key": second["key"]}) == "Unauthorized"


def test_a_key_is_unauthorized_immediately_after_it_is_revoked(api: Api) -> None:
    created = create_key(api)
    assert api.authorize({"authorization": f"Bearer {created['key']}"})["isAuthorized"] is True

    api.call("POST", f"/api-keys/{created['id']}/revoke")

    assert refused(api, {"authorization": f"Bearer {created['key']}"}) == "Unauthorized"
    assert refused(api, {"x-api-key": created["key"]}) == "Unauthorized"


def test_a_key_whose_expiry_has_passed_is_unauthorized(api: Api) -> None:
    # Created with a clock pinned in the past: it expired long before now.
    created_at = datetime(2020, 1, 1, tzinfo=UTC)
    issued = CreateApiKeyUseCase(wiring.api_key_repository(), clock=lambda: created_at).execute(
        operator("tenant-a"), name="old", scopes=["api-keys:read"], expires_at=created_at + timedelta(days=30)
    )

    assert refused(api, {"x-api-key": issued.plaintext}) == "Unauthorized"
    assert api.call("GET", f"/api-keys/{issued.api_key.id}")[2]["status"] == "expired"


def test_a_key_stops_working_once_its_stored_expiry_passes(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_key(api, expires_at=FUTURE)
    assert api.authorize({"x-api-key": created["key"]})["isAuthorized"] is True
    # Time moves on: the lookup record the authorizer reads now says the key expired a second ago.
    (lookup,) = [item for item in items(dynamodb, table_name) if item.get("entity") == "ApiKeyLookup" and item["id"] == created["id"]]
    dynamodb.update_item(
        TableName=table_name,
        Key={"PK": {"S": lookup["PK"]}, "SK": {"S": lookup["SK"]}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"S": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()}},
    )

    assert refused(api, {"x-api-key": created["key"]}) == "Unauthorized"


def test_neither_creating_nor_authorizing_logs_a_key(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # Imported here, not at collection: Powertools reads its environment when the module is first imported.
    from integration.observability import logger

    log = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", log)
    unknown = generate_key()

    created = create_key(api)
    api.authorize({"authorization": f"Bearer {created['key']}"})
    refused(api, {"x-api-key": unknown})
    refused(api, {"x-api-key": unknown[:-1]})

    written = log.getvalue()
    assert "authenticated" in written and "refused" in written  # the log was captured
    for secret in (created["key"], created["key"][5:37], unknown, unknown[5:37]):
        assert secret not in written
