"""POST /api-keys/verify on moto: every code with its boundaries, IAM callers only, one read,
and the key never in a log."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integration import wiring
from integration.application.authentication import VerificationCode, VerifyApiKeyUseCase
from integration.domain.key_format import generate_key
from integration.infrastructure.aws import dynamodb_client
from local_runtime.events import http_api_event
from tests.conftest import BASE, Api, lambda_context
from tests.integration.helpers import FUTURE, assert_problem, create_key, items

ROUTE = f"POST {BASE}/api-keys/verify"
IAM_CALLER = {
    "accessKey": "AKIAEXAMPLEPLATFORM1",
    "accountId": "123456789012",
    "callerId": "AROAEXAMPLE:orders-service",
    "cognitoIdentity": None,
    "principalOrgId": None,
    "userArn": "arn:aws:sts::123456789012:assumed-role/orders-service/orders",
    "userId": "AROAEXAMPLE:orders-service",
}


def verify(
    api: Api, body: Any, *, iam: dict[str, Any] | None = IAM_CALLER, lambda_context_: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """The function as API Gateway calls it after checking the SigV4 signature (``iam``)."""
    event = http_api_event(
        "POST",
        f"{BASE}/api-keys/verify",
        route_key=ROUTE,
        headers={"content-type": "application/json"},
        body=json.dumps(body),
        authorizer_context=lambda_context_,
        iam_caller=iam,
    )
    response = api.handler("VerifyApiKeyFunction")(event, lambda_context())
    headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
    return response["statusCode"], headers, json.loads(response["body"])


def verdict(api: Api, key: str, required_scopes: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"key": key}
    if required_scopes is not None:
        body["required_scopes"] = required_scopes
    status, headers, answer = verify(api, body)
    assert status == 200, answer
    assert headers["content-type"] == "application/json"
    return answer


def set_stored_expiry(dynamodb: Any, table_name: str, key_id: str, when: datetime) -> None:
    """Time moves on: the lookup item verify reads now says the key expires at ``when``."""
    (lookup,) = [item for item in items(dynamodb, table_name) if item.get("entity") == "ApiKeyLookup" and item["id"] == key_id]
    dynamodb.update_item(
        TableName=table_name,
        Key={"PK": {"S": lookup["PK"]}, "SK": {"S": lookup["SK"]}},
        UpdateExpression="SET expires_at = :when",
        ExpressionAttributeValues={":when": {"S": when.isoformat()}},
    )


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


def test_a_valid_key_is_valid_with_its_tenant_id_scopes_and_expiry(api: Api) -> None:
    created = create_key(api, tenant="tenant-v", scopes=("webhooks:read", "api-keys:read"), expires_at=FUTURE)

    answer = verdict(api, created["key"], ["webhooks:read"])

    assert answer == {
        "valid": True,
        "code": "VALID",
        "tenant_id": "tenant-v",
        "key_id": created["id"],
        "scopes": created["scopes"],
        "expires_at": "2100-01-01T00:00:00.000Z",  # one timestamp format everywhere
    }


def test_without_required_scopes_an_active_key_is_valid(api: Api) -> None:
    created = create_key(api)

    assert verdict(api, created["key"])["code"] == "VALID"
    assert verdict(api, created["key"], [])["code"] == "VALID"


def test_a_key_lacking_one_required_scope_is_insufficient_scope_and_still_says_whose_it_is(api: Api) -> None:
    created = create_key(api, tenant="tenant-v", scopes=("webhooks:read",))

    answer = verdict(api, created["key"], ["webhooks:read", "webhooks:write"])

    assert answer == {
        "valid": False,
        "code": "INSUFFICIENT_SCOPE",
        "tenant_id": "tenant-v",
        "key_id": created["id"],
        "scopes": ["webhooks:read"],
        "expires_at": None,
    }


@pytest.mark.parametrize(
    "presented",
    [
        pytest.param(lambda key: "", id="empty"),
        pytest.param(lambda key: "not-a-key", id="malformed"),
        pytest.param(lambda key: key[:-1] + ("a" if key[-1] != "a" else "b"), id="wrong-checksum"),
        pytest.param(lambda key: generate_key(), id="well-formed-but-unknown"),
        pytest.param(lambda key: f"Bearer {key}", id="with-a-scheme"),
    ],
)
def test_anything_but_a_stored_key_is_not_found_with_nulls(api: Api, presented: Any) -> None:
    created = create_key(api)

    assert verdict(api, presented(created["key"]), ["api-keys:read"]) == {
        "valid": False,
        "code": "NOT_FOUND",
        "tenant_id": None,
        "key_id": None,
        "scopes": None,
        "expires_at": None,
    }


def test_a_revoked_key_is_revoked_at_once(api: Api) -> None:
    created = create_key(api, tenant="tenant-v")
    assert verdict(api, created["key"])["code"] == "VALID"

    assert api.call("POST", f"/api-keys/{created['id']}/revoke", tenant="tenant-v")[0] == 200

    answer = verdict(api, created["key"])
    assert (answer["valid"], answer["code"], answer["key_id"], answer["tenant_id"]) == (
        False,
        "REVOKED",
        created["id"],
        "tenant-v",
    )


def test_a_revoked_key_is_revoked_even_when_it_has_also_expired(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_key(api, expires_at=FUTURE)
    api.call("POST", f"/api-keys/{created['id']}/revoke")
    set_stored_expiry(dynamodb, table_name, created["id"], datetime.now(UTC) - timedelta(days=1))

    assert verdict(api, created["key"])["code"] == "REVOKED"


def test_a_key_whose_stored_expiry_passed_is_expired(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_key(api, expires_at=FUTURE)
    past = datetime.now(UTC) - timedelta(seconds=1)
    set_stored_expiry(dynamodb, table_name, created["id"], past)

    answer = verdict(api, created["key"], ["api-keys:read"])

    assert (answer["valid"], answer["code"], answer["key_id"]) == (False, "EXPIRED", created["id"])


def test_expiry_boundaries_a_key_expires_exactly_at_its_expiry(api: Api) -> None:
    created = create_key(api, expires_at=FUTURE)
    expiry = datetime(2100, 1, 1, tzinfo=UTC)

    def at(now: datetime) -> VerificationCode:
        return VerifyApiKeyUseCase(wiring.api_key_repository(), clock=lambda: now).execute(created["key"]).code

    assert at(expiry - timedelta(microseconds=1)) is VerificationCode.VALID
    assert at(expiry) is VerificationCode.EXPIRED  # exactly now: expired, as the authorizer refuses it
    assert at(expiry + timedelta(seconds=1)) is VerificationCode.EXPIRED


def test_insufficient_scope_needs_an_active_key_an_expired_key_is_expired_whatever_it_holds(api: Api) -> None:
    created = create_key(api, scopes=("webhooks:read",), expires_at=FUTURE)
    after = datetime(2100, 1, 2, tzinfo=UTC)

    found = VerifyApiKeyUseCase(wiring.api_key_repository(), clock=lambda: after).execute(created["key"], ["webhooks:write"])

    assert found.code is VerificationCode.EXPIRED


def test_verify_is_one_read_and_records_last_use_at_most_once_a_minute(
    api: Api, calls: list[str], dynamodb: Any, table_name: str
) -> None:
    created = create_key(api)
    calls.clear()

    verdict(api, created["key"])
    first = list(calls)
    calls.clear()
    verdict(api, created["key"], ["webhooks:write"])  # insufficient scope: the key authenticated
    second = list(calls)
    calls.clear()
    verdict(api, "not-a-key")
    malformed = list(calls)

    assert first == ["GetItem", "UpdateItem", "UpdateItem"]  # one read; the first use recorded (lookup and key items)
    assert second == ["GetItem"]  # within the minute: nothing written
    assert malformed == []  # refused by its shape: no read at all
    assert {
        item["entity"]: item.get("last_used_at") is not None
        for item in items(dynamodb, table_name)
        if item.get("id") == created["id"]
    } == {
        "ApiKey": True,
        "ApiKeyLookup": True,
    }


def test_the_authorizer_and_verify_agree_on_every_key(api: Api) -> None:
    active, revoked = create_key(api), create_key(api)
    api.call("POST", f"/api-keys/{revoked['id']}/revoke")

    assert api.authorize({"x-api-key": active["key"]})["context"]["keyId"] == verdict(api, active["key"])["key_id"]
    with pytest.raises(Exception, match="Unauthorized"):
        api.authorize({"x-api-key": revoked["key"]})
    assert verdict(api, revoked["key"])["valid"] is False


def test_a_request_without_an_iam_caller_is_refused_403(api: Api) -> None:
    created = create_key(api)

    body = assert_problem(verify(api, {"key": created["key"]}, iam=None), 403)

    assert "SigV4" in body["detail"]


def test_a_tenant_credential_does_not_open_verify(api: Api) -> None:
    created = create_key(api)
    tenant_context = api.authorize({"x-api-key": created["key"]})["context"]

    assert_problem(verify(api, {"key": created["key"]}, iam=None, lambda_context_=tenant_context), 403)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="no-key"),
        pytest.param({"key": 42}, id="key-not-a-string"),
        pytest.param({"key": "x", "required_scopes": "orders:read"}, id="scopes-not-a-list"),
        pytest.param({"key": "x", "required_scopes": [""]}, id="empty-scope"),
        pytest.param({"key": "x", "extra": 1}, id="unknown-field"),
        pytest.param({"key": "x" * 257}, id="key-too-long"),
    ],
)
def test_a_malformed_body_is_422(api: Api, body: dict[str, Any]) -> None:
    assert_problem(verify(api, body), 422)


def test_verify_never_logs_the_key(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from integration.observability import logger

    log = io.StringIO()
    monkeypatch.setattr(logger.registered_handler, "stream", log)
    created = create_key(api)
    unknown = generate_key()

    for key in (created["key"], unknown, unknown[:-1]):
        verdict(api, key, ["webhooks:write"])

    written = log.getvalue()
    assert "verified" in written  # the log was captured
    for secret in (created["key"], created["key"][5:37], unknown, unknown[5:37]):
        assert secret not in written
