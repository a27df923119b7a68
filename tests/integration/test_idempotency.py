"""Idempotency-Key on the POSTs that create or act: a retried request makes one resource and
answers the first response again, secrets included, while the table never holds a secret in
plain text."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import pytest

from integration import wiring
from integration.application.api_keys import CreateApiKeyUseCase
from integration.domain.principal import operator
from integration.infrastructure.aws import dynamodb_client
from tests.conftest import Api
from tests.integration.helpers import assert_problem, items, outbox

pytestmark = pytest.mark.usefixtures("aws")

KEY_BODY = {"name": "ci", "scopes": ["webhooks:read"]}
HOOK_BODY = {"name": "orders", "url": "https://hooks.example.com/in", "events": ["*"]}


def new_key() -> str:
    return str(uuid.uuid4())


def post(api: Api, path: str, key: str | None, body: Any = None, tenant: str = "tenant-a") -> tuple[int, dict[str, str], Any]:
    headers = {} if key is None else {"idempotency-key": key}
    return api.call("POST", path, tenant=tenant, body=body, headers=headers)


def stored_text(dynamodb: Any, table_name: str) -> str:
    return json.dumps(items(dynamodb, table_name), default=str)


def test_a_retried_create_key_makes_one_key_and_answers_the_same_plaintext(api: Api, dynamodb: Any, table_name: str) -> None:
    key = new_key()
    first = post(api, "/api-keys", key, KEY_BODY)
    again = post(api, "/api-keys", key, {"scopes": ["webhooks:read"], "name": "ci"})  # same JSON, other order
    assert first[0] == again[0] == 201
    assert again[2] == first[2] and again[2]["key"].startswith("intk_")
    assert "idempotent-replayed" not in first[1] and again[1]["idempotent-replayed"] == "true"
    assert again[1]["location"] == first[1]["location"]
    names = [item["name"] for item in api.call("GET", "/api-keys")[2]["items"]]
    assert names == ["ci"]
    assert len(outbox(dynamodb, table_name, "ApiKeyCreated")) == 1
    assert first[2]["key"] not in stored_text(dynamodb, table_name)  # sealed, never plain


def test_a_retried_create_webhook_makes_one_webhook_and_answers_the_same_secret(api: Api, dynamodb: Any, table_name: str) -> None:
    key = new_key()
    first, again = post(api, "/webhooks", key, HOOK_BODY), post(api, "/webhooks", key, HOOK_BODY)
    assert first[0] == again[0] == 201 and again[2]["secret"] == first[2]["secret"]
    assert len(api.call("GET", "/webhooks")[2]["items"]) == 1
    assert len(outbox(dynamodb, table_name, "WebhookCreated")) == 1
    assert stored_text(dynamodb, table_name).count(first[2]["secret"]) == 1  # the webhook item's own (delivery signs with it)
    (record,) = [item for item in items(dynamodb, table_name) if item["PK"].startswith("IDEMPOTENCY#")]
    assert first[2]["secret"] not in json.dumps(record, default=str)
    assert key not in json.dumps(record, default=str) and record["ttl"] > time.time() + 23 * 3600


def test_a_retried_rotation_rotates_once_and_answers_the_same_new_secret(api: Api, dynamodb: Any, table_name: str) -> None:
    hook = post(api, "/webhooks", None, HOOK_BODY)[2]
    key = new_key()
    first, again = (
        post(api, f"/webhooks/{hook['id']}/rotate-secret", key),
        post(api, f"/webhooks/{hook['id']}/rotate-secret", key),
    )
    assert first[0] == again[0] == 200 and again[2] == first[2]
    assert len(outbox(dynamodb, table_name, "WebhookSecretRotated")) == 1
    record = next(item for item in items(dynamodb, table_name) if item["PK"].startswith("IDEMPOTENCY#"))
    assert first[2]["secret"] not in json.dumps(record, default=str)


def test_retried_revoke_and_test_act_once(
    api: Api, aws: Any, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in aws.function_environment("TestWebhookFunction").items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    created = post(api, "/api-keys", None, KEY_BODY)[2]
    key = new_key()
    assert post(api, f"/api-keys/{created['id']}/revoke", key)[2] == post(api, f"/api-keys/{created['id']}/revoke", key)[2]
    hook = post(api, "/webhooks", None, HOOK_BODY)[2]
    key = new_key()
    first, again = post(api, f"/webhooks/{hook['id']}/test", key), post(api, f"/webhooks/{hook['id']}/test", key)
    assert first[0] == again[0] == 202 and again[2]["id"] == first[2]["id"]
    assert len(api.call("GET", f"/webhooks/{hook['id']}/deliveries")[2]["items"]) == 1


def test_the_same_key_with_another_request_is_a_422_and_changes_nothing(api: Api, dynamodb: Any, table_name: str) -> None:
    key = new_key()
    assert post(api, "/api-keys", key, KEY_BODY)[0] == 201
    before = items(dynamodb, table_name)
    problem = assert_problem(post(api, "/api-keys", key, {**KEY_BODY, "name": "other"}), 422)
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert_problem(post(api, "/webhooks", key, HOOK_BODY), 422)  # a key belongs to one request, on any endpoint
    assert items(dynamodb, table_name) == before


def test_keys_are_per_tenant(api: Api) -> None:
    key = new_key()
    mine = post(api, "/api-keys", key, KEY_BODY)
    theirs = post(api, "/api-keys", key, KEY_BODY, tenant="tenant-b")
    assert mine[0] == theirs[0] == 201 and theirs[2]["id"] != mine[2]["id"]
    assert "idempotent-replayed" not in theirs[1]


def test_an_error_is_not_remembered_so_the_fixed_request_can_reuse_the_key(api: Api) -> None:
    key = new_key()
    assert_problem(post(api, "/api-keys", key, {"name": "ci", "scopes": []}), 422)
    assert post(api, "/api-keys", key, KEY_BODY)[0] == 201


@pytest.mark.parametrize("bad", ["short", "x" * 256, "has space in it 123", "ünicode-is-not-ascii"])
def test_a_malformed_key_is_a_422_naming_the_header(api: Api, bad: str, dynamodb: Any, table_name: str) -> None:
    before = items(dynamodb, table_name)
    problem = assert_problem(post(api, "/api-keys", bad, KEY_BODY), 422)
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert items(dynamodb, table_name) == before


def test_without_the_header_every_request_acts(api: Api) -> None:
    assert post(api, "/api-keys", None, KEY_BODY)[2]["id"] != post(api, "/api-keys", None, KEY_BODY)[2]["id"]


def test_a_request_still_in_progress_answers_409_to_its_retry(api: Api) -> None:
    key = new_key()
    client = dynamodb_client()
    entered, release = threading.Event(), threading.Event()

    def hold(**_: Any) -> None:  # the first request's write waits until the retry has been answered
        if not entered.is_set():
            entered.set()
            release.wait(10)

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", hold, unique_id="hold")
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(post(api, "/api-keys", key, KEY_BODY)))
    api.handler("CreateApiKeyFunction")  # import before the threads share it
    first.start()
    try:
        assert entered.wait(10)
        assert_problem(post(api, "/api-keys", key, KEY_BODY), 409)
    finally:
        release.set()
        first.join(10)
        client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="hold")
    assert results[0][0] == 201


# ------------------------------------------------------------------ who may be answered a replay


def operator_key(*scopes: str, tenant: str = "tenant-a") -> tuple[str, str]:
    """A key an operator made: (its id, its plaintext)."""
    issued = CreateApiKeyUseCase(wiring.api_key_repository()).execute(
        operator(tenant), name="caller", scopes=list(scopes), expires_at=None
    )
    return issued.api_key.id, issued.plaintext


ALL_KEYS = ("api-keys:read", "api-keys:write", "webhooks:read", "webhooks:write")


def post_as(api: Api, plaintext: str, path: str, idempotency_key: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
    return api.call("POST", path, key=plaintext, body=body, headers={"idempotency-key": idempotency_key})


def test_a_replay_of_a_new_key_is_refused_to_a_key_of_the_tenant_that_lacks_the_scope(api: Api) -> None:
    _, writer = operator_key(*ALL_KEYS)
    _, reader = operator_key("api-keys:read")
    key, every_scope = new_key(), {"name": "root", "scopes": list(ALL_KEYS)}
    original = post_as(api, writer, "/api-keys", key, every_scope)

    replayed = post_as(api, reader, "/api-keys", key, every_scope)

    assert original[0] == 201
    problem = assert_problem(replayed, 403)
    assert problem["detail"] == "this operation needs the scope api-keys:write"
    assert original[2]["key"] not in json.dumps(replayed[2]) and "intk_" not in json.dumps(replayed[2])
    assert "idempotent-replayed" not in replayed[1]


def test_the_same_idempotency_key_from_another_credential_is_another_request(api: Api, dynamodb: Any, table_name: str) -> None:
    _, first_writer = operator_key(*ALL_KEYS)
    _, second_writer = operator_key(*ALL_KEYS)
    key = new_key()

    mine = post_as(api, first_writer, "/api-keys", key, KEY_BODY)
    theirs = post_as(api, second_writer, "/api-keys", key, KEY_BODY)
    mine_again = post_as(api, first_writer, "/api-keys", key, KEY_BODY)

    assert mine[0] == theirs[0] == mine_again[0] == 201
    assert "idempotent-replayed" not in theirs[1] and theirs[2]["id"] != mine[2]["id"] and theirs[2]["key"] != mine[2]["key"]
    assert mine_again[1]["idempotent-replayed"] == "true" and mine_again[2] == mine[2]
    assert len(outbox(dynamodb, table_name, "ApiKeyCreated")) == 2 + 2  # the two callers' keys, then one each
    records = [item for item in items(dynamodb, table_name) if item["PK"].startswith("IDEMPOTENCY#")]
    assert len(records) == 2


def test_a_replay_of_a_rotated_secret_is_refused_without_the_scope_and_never_crosses_credentials(api: Api) -> None:
    _, writer = operator_key(*ALL_KEYS)
    _, reader = operator_key("webhooks:read")
    _, other_writer = operator_key("webhooks:write")
    hook = post(api, "/webhooks", None, HOOK_BODY)[2]
    key, path = new_key(), f"/webhooks/{hook['id']}/rotate-secret"
    rotated = post_as(api, writer, path, key)

    refused = post_as(api, reader, path, key)
    other = post_as(api, other_writer, path, key)

    assert rotated[0] == 200 and rotated[2]["secret"].startswith("whsec_")
    assert_problem(refused, 403)
    assert "whsec_" not in json.dumps(refused[2])
    assert other[0] == 200 and "idempotent-replayed" not in other[1]
    assert other[2]["secret"] != rotated[2]["secret"]  # a rotation of its own, not the first caller's secret


def test_a_revoked_key_gets_no_replay_of_what_it_made(api: Api) -> None:
    writer_id, writer = operator_key(*ALL_KEYS)
    key = new_key()
    assert post_as(api, writer, "/api-keys", key, KEY_BODY)[0] == 201
    assert api.call("POST", f"/api-keys/{writer_id}/revoke")[0] == 200

    status, _, body = post_as(api, writer, "/api-keys", key, KEY_BODY)

    assert (status, body) == (401, {"message": "Unauthorized"})
