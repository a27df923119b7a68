"""The /webhooks endpoints through the real handlers on moto: lifecycle, secrets, outbox events,
validation, quota, scopes, tenant isolation and the status filter."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from integration import wiring
from integration.domain.ids import is_valid_id, new_id
from tests.conftest import BASE, Api, scan_all
from tests.integration.helpers import WEBHOOK_VIEW_FIELDS as VIEW_FIELDS
from tests.integration.helpers import assert_problem, create_webhook, items, outbox

BODY: dict[str, Any] = {"name": "orders", "url": "https://example.com/hooks/orders", "events": ["WebhookCreated"]}

_deserializer = TypeDeserializer()

Response = tuple[int, dict[str, str], Any]


# ------------------------------------------------------------------ helpers


def error_fields(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem.get("errors", [])]


def item(dynamodb: Any, table_name: str, tenant: str, sort_key: str) -> dict[str, Any] | None:
    found = dynamodb.get_item(TableName=table_name, Key={"PK": {"S": f"TENANT#{tenant}"}, "SK": {"S": sort_key}}).get("Item")
    return None if found is None else {k: _deserializer.deserialize(v) for k, v in found.items()}


def put_body(webhook: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A PUT body that keeps every field of ``webhook`` except ``overrides``."""
    body = {name: webhook[name] for name in ("name", "url", "events", "description", "status")}
    return {**body, **overrides}


def listing(api: Api, *, tenant: str = "tenant-a", query: str = "") -> list[dict[str, Any]]:
    status, _, page = api.call("GET", "/webhooks", tenant=tenant, query=query)
    assert status == 200, page
    return page["items"]


def settings(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    wiring.reset()


# ------------------------------------------------------------------ lifecycle


def test_full_lifecycle_create_get_list_put_delete(api: Api, dynamodb: Any, table_name: str) -> None:
    status, headers, created = api.call("POST", "/webhooks", body={**BODY, "description": "order events"})

    assert status == 201
    assert set(created) == VIEW_FIELDS | {"secret"}
    assert is_valid_id(created["id"], "wh")
    assert created["secret"].startswith("whsec_")
    assert (created["name"], created["url"], created["events"]) == (BODY["name"], BODY["url"], BODY["events"])
    assert created["description"] == "order events"
    assert created["status"] == "active"
    assert created["created_at"] == created["updated_at"]
    assert datetime.fromisoformat(created["created_at"]).tzinfo is not None
    assert headers["content-type"] == "application/json"
    assert headers["location"] == f"{BASE}/webhooks/{created['id']}"
    assert headers["cache-control"] == "no-store"
    webhook_id = created["id"]

    status, _, fetched = api.call("GET", headers["location"].removeprefix(BASE))
    assert status == 200
    assert "secret" not in fetched
    assert fetched == {name: created[name] for name in VIEW_FIELDS}

    assert listing(api) == [fetched]

    replacement = {"name": "orders v2", "url": "https://example.org/v2", "events": ["*"], "status": "disabled"}
    status, _, updated = api.call("PUT", f"/webhooks/{webhook_id}", body=replacement)
    assert status == 200
    assert set(updated) == VIEW_FIELDS
    assert updated["id"] == webhook_id
    assert {name: updated[name] for name in replacement} == replacement
    assert updated["description"] is None  # PUT without description clears it
    assert updated["created_at"] == created["created_at"]
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(created["updated_at"])
    assert api.call("GET", f"/webhooks/{webhook_id}")[2] == updated

    status, headers, body = api.call("DELETE", f"/webhooks/{webhook_id}")
    assert status == 204
    assert body == ""

    assert_problem(api.call("GET", f"/webhooks/{webhook_id}"), 404)
    assert_problem(api.call("PUT", f"/webhooks/{webhook_id}", body=replacement), 404)
    assert_problem(api.call("DELETE", f"/webhooks/{webhook_id}"), 404)
    assert listing(api) == []
    assert item(dynamodb, table_name, "tenant-a", f"WEBHOOK#{webhook_id}") is None
    tombstone = item(dynamodb, table_name, "tenant-a", f"DELETEDWEBHOOK#{webhook_id}")
    assert tombstone is not None
    assert datetime.fromisoformat(tombstone["deleted_at"]) >= datetime.fromisoformat(updated["updated_at"])
    assert "secret" not in tombstone
    assert created["secret"] not in json.dumps(tombstone, default=str)
    assert "GSI1PK" not in tombstone and "GSI1SK" not in tombstone


def test_created_with_status_disabled(api: Api) -> None:
    created = create_webhook(api, events=["WebhookCreated"], status="disabled")

    assert created["status"] == "disabled"
    assert api.call("GET", f"/webhooks/{created['id']}")[2]["status"] == "disabled"


def test_fields_are_stored_normalised(api: Api) -> None:
    created = create_webhook(api, name="  orders  ", events=["WebhookCreated", "WebhookDeleted", "WebhookCreated"], description="  ")

    assert created["name"] == "orders"
    assert created["events"] == ["WebhookCreated", "WebhookDeleted"]
    assert created["description"] is None


def test_the_secret_is_never_shown_again(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    secret = created["secret"]
    path = f"/webhooks/{created['id']}"

    responses = [
        api.call("GET", path),
        api.call("GET", "/webhooks"),
        api.call("GET", "/webhooks", query="status=active"),
        api.call("PUT", path, body=put_body(created, name="renamed")),
        api.call("PUT", path, body=put_body(created, name="renamed")),
    ]

    for status, _, body in responses:
        assert status == 200, body
        text = json.dumps(body)
        assert secret not in text
        assert secret.removeprefix("whsec_") not in text
        assert '"secret"' not in text
    for entry in outbox(dynamodb, table_name):
        assert secret.removeprefix("whsec_") not in json.dumps(entry, default=str)
        assert "secret" not in entry["detail"]


def test_each_webhook_gets_its_own_secret(api: Api) -> None:
    first, second = create_webhook(api, events=["WebhookCreated"]), create_webhook(api, events=["WebhookCreated"])

    assert first["secret"] != second["secret"]
    assert first["id"] != second["id"]


# ------------------------------------------------------------------ outbox events


def test_create_records_one_webhook_created_event(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"])

    events = outbox(dynamodb, table_name)
    assert [event["event_type"] for event in events] == ["WebhookCreated"]
    event = events[0]
    assert event["tenant_id"] == "tenant-a"
    assert event["aggregate_id"] == created["id"]
    detail = event["detail"]
    assert {
        "webhookId": detail["webhookId"],
        "tenantId": detail["tenantId"],
        "name": detail["name"],
        "url": detail["url"],
    } == {"webhookId": created["id"], "tenantId": "tenant-a", "name": BODY["name"], "url": BODY["url"]}
    assert "secret" not in detail
    assert created["secret"] not in json.dumps(event, default=str)


def test_put_records_only_the_changed_fields(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"], description="first")

    status, _, _ = api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, name="renamed", status="disabled"))
    assert status == 200

    events = outbox(dynamodb, table_name, "WebhookUpdated")
    assert len(events) == 1
    assert events[0]["aggregate_id"] == created["id"]
    assert events[0]["detail"]["webhookId"] == created["id"]
    assert events[0]["detail"]["tenantId"] == "tenant-a"
    assert events[0]["detail"]["changes"] == {"name": "renamed", "status": "disabled"}


def test_put_that_clears_the_description_and_changes_events_reports_both(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"], description="first")
    body = put_body(created, events=["WebhookDeleted", "*"])
    del body["description"]

    status, _, updated = api.call("PUT", f"/webhooks/{created['id']}", body=body)

    assert status == 200 and updated["description"] is None
    [event] = outbox(dynamodb, table_name, "WebhookUpdated")
    assert event["detail"]["changes"] == {"events": ["WebhookDeleted", "*"], "description": None}


@pytest.mark.parametrize(
    "same",
    [
        pytest.param({}, id="identical"),
        pytest.param({"name": "  orders  ", "events": ["WebhookCreated", "WebhookCreated"]}, id="identical-after-normalising"),
    ],
)
def test_put_without_a_change_answers_200_and_records_nothing(
    api: Api, dynamodb: Any, table_name: str, same: dict[str, Any]
) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    before = items(dynamodb, table_name)

    status, _, body = api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, **same))

    assert status == 200
    assert body == {name: created[name] for name in VIEW_FIELDS}
    assert body["updated_at"] == created["updated_at"]
    assert outbox(dynamodb, table_name, "WebhookUpdated") == []
    assert items(dynamodb, table_name) == before


def test_delete_records_a_webhook_deleted_event(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"])

    assert api.call("DELETE", f"/webhooks/{created['id']}")[0] == 204

    [event] = outbox(dynamodb, table_name, "WebhookDeleted")
    assert event["aggregate_id"] == created["id"]
    assert event["detail"]["webhookId"] == created["id"]
    assert event["detail"]["tenantId"] == "tenant-a"
    assert len(outbox(dynamodb, table_name)) == 2  # created + deleted


# ------------------------------------------------------------------ validation

BAD_CREATES = [
    pytest.param({**BODY, "url": "https://127.1/hook"}, 422, "url", id="url-loopback-short"),
    pytest.param({**BODY, "url": "https://0x7f000001/"}, 422, "url", id="url-loopback-hex"),
    pytest.param({**BODY, "url": "https://2852039166/"}, 422, "url", id="url-metadata-decimal"),
    pytest.param({**BODY, "url": "https://[::ffff:169.254.169.254]/"}, 422, "url", id="url-metadata-ipv4-mapped"),
    pytest.param({**BODY, "url": "https://[64:ff9b::a9fe:a9fe]/"}, 422, "url", id="url-nat64"),
    pytest.param({**BODY, "url": "https://10.0.0.1/"}, 422, "url", id="url-private"),
    pytest.param({**BODY, "url": "https://LOCALHOST./"}, 422, "url", id="url-localhost"),
    pytest.param({**BODY, "url": "https://user:pw@example.com/"}, 422, "url", id="url-credentials"),
    pytest.param({**BODY, "url": "https://example.com:0/"}, 422, "url", id="url-port-0"),
    pytest.param({**BODY, "url": "http://example.com/hook"}, 422, "url", id="url-http"),
    pytest.param({**BODY, "url": "/relative"}, 422, "url", id="url-relative"),
    pytest.param({**BODY, "url": "https://example.com/" + "a" * 2100}, 422, "url", id="url-too-long"),
    pytest.param({**BODY, "url": ""}, 422, "url", id="url-empty"),
    pytest.param({**BODY, "events": ["NoSuchEvent"]}, 422, "events", id="unknown-event"),
    pytest.param({**BODY, "events": ["invoice.paid"]}, 422, "events", id="unconfigured-platform-event"),
    pytest.param({**BODY, "events": []}, 422, "events", id="empty-events"),
    pytest.param({**BODY, "events": ["*"] * 51}, 422, "events", id="too-many-events"),
    pytest.param({**BODY, "name": "   "}, 422, "name", id="blank-name"),
    pytest.param({**BODY, "name": ""}, 422, "name", id="empty-name"),
    pytest.param({**BODY, "name": "n" * 101}, 422, "name", id="name-too-long"),
    pytest.param({**BODY, "description": "d" * 501}, 422, "description", id="description-too-long"),
    pytest.param({**BODY, "name": 5}, 422, "name", id="name-not-a-string"),
    pytest.param({**BODY, "url": None}, 422, "url", id="url-null"),
    pytest.param({**BODY, "events": "WebhookCreated"}, 422, "events", id="events-not-a-list"),
    pytest.param({**BODY, "events": [1]}, 422, "events[0]", id="event-not-a-string"),
    pytest.param({**BODY, "description": 5}, 422, "description", id="description-not-a-string"),
    pytest.param({**BODY, "status": "paused"}, 422, "status", id="invalid-status"),
    pytest.param({**BODY, "status": 1}, 422, "status", id="status-not-a-string"),
    pytest.param({**BODY, "secret": "whsec_mine"}, 422, "secret", id="unknown-field-secret"),
    pytest.param({**BODY, "id": "wh_mine"}, 422, "id", id="unknown-field-id"),
    pytest.param({"url": BODY["url"], "events": BODY["events"]}, 422, "name", id="missing-name"),
    pytest.param({"name": "x", "events": BODY["events"]}, 422, "url", id="missing-url"),
    pytest.param({"name": "x", "url": BODY["url"]}, 422, "events", id="missing-events"),
    pytest.param("a string", 422, "body", id="body-not-an-object"),
]


@pytest.mark.parametrize(("body", "status", "field"), BAD_CREATES)
def test_a_bad_create_is_a_problem_naming_the_field_and_writes_nothing(
    api: Api, dynamodb: Any, table_name: str, body: Any, status: int, field: str
) -> None:
    before = len(scan_all(dynamodb, table_name))

    problem = assert_problem(api.call("POST", "/webhooks", body=body), status)

    assert field in error_fields(problem), problem
    assert len(scan_all(dynamodb, table_name)) == before


@pytest.mark.parametrize(
    ("raw_body", "headers", "status", "field"),
    [
        pytest.param('{"name": "x", "url": ', None, 400, "body", id="broken-json"),
        pytest.param("{'name': 'x'}", None, 400, "body", id="single-quoted-json"),
        pytest.param(json.dumps({**BODY, "description": "d" * 17_000}), None, 413, None, id="oversized"),
        pytest.param(json.dumps(BODY), {"content-type": "text/plain"}, 415, None, id="not-json-media-type"),
    ],
)
def test_an_unreadable_create_is_a_problem_and_writes_nothing(
    api: Api, dynamodb: Any, table_name: str, raw_body: str, headers: dict[str, str] | None, status: int, field: str | None
) -> None:
    before = len(scan_all(dynamodb, table_name))

    problem = assert_problem(api.call("POST", "/webhooks", raw_body=raw_body, headers=headers), status)

    if field is not None:
        assert field in error_fields(problem), problem
    assert len(scan_all(dynamodb, table_name)) == before


def test_every_wrong_field_is_reported_at_once(api: Api) -> None:
    body = {"name": "  ", "url": "http://169.254.169.254/", "events": ["NoSuchEvent"]}

    problem = assert_problem(api.call("POST", "/webhooks", body=body), 422)

    assert sorted(error_fields(problem)) == ["events", "name", "url"]


@pytest.mark.parametrize(
    "raw_body",
    [
        pytest.param(json.dumps([BODY]), id="array-of-one-valid-object"),
        pytest.param(json.dumps([BODY, {"name": 1}]), id="array-valid-first"),
        pytest.param("  \n" + json.dumps([BODY]), id="array-after-whitespace"),
        pytest.param("[]", id="empty-array"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_json_array_body_is_refused(api: Api, dynamodb: Any, table_name: str, raw_body: str, method: str) -> None:
    # Powertools would validate only an array's first element; the API must refuse the array.
    path = "/webhooks"
    if method == "PUT":
        path = f"/webhooks/{create_webhook(api, events=['WebhookCreated'])['id']}"
        raw_body = raw_body.replace('"events"', '"status": "active", "events"')
    before = items(dynamodb, table_name)

    problem = assert_problem(api.call(method, path, raw_body=raw_body), 422)

    assert "body" in error_fields(problem)
    assert items(dynamodb, table_name) == before


BAD_PUTS = [
    pytest.param({"status": None}, 422, "status", id="missing-status"),
    pytest.param({"status": "paused"}, 422, "status", id="invalid-status"),
    pytest.param({"url": "https://169.254.169.254/latest/meta-data/"}, 422, "url", id="url-metadata"),
    pytest.param({"url": "https://0177.0.0.1/"}, 422, "url", id="url-loopback-octal"),
    pytest.param({"url": "http://example.com/"}, 422, "url", id="url-http"),
    pytest.param({"events": ["NoSuchEvent"]}, 422, "events", id="unknown-event"),
    pytest.param({"events": []}, 422, "events", id="empty-events"),
    pytest.param({"name": "  "}, 422, "name", id="blank-name"),
    pytest.param({"name": None}, 422, "name", id="missing-name"),
    pytest.param({"events": "*"}, 422, "events", id="events-not-a-list"),
    pytest.param({"secret": "whsec_mine"}, 422, "secret", id="unknown-field"),
    pytest.param({"created_at": "2020-01-01T00:00:00Z"}, 422, "created_at", id="read-only-field"),
]


@pytest.mark.parametrize(("change", "status", "field"), BAD_PUTS)
def test_a_bad_put_is_a_problem_and_changes_nothing(
    api: Api, dynamodb: Any, table_name: str, change: dict[str, Any], status: int, field: str
) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    path = f"/webhooks/{created['id']}"
    before = items(dynamodb, table_name)
    body = {name: value for name, value in {**put_body(created), **change}.items() if value is not None}

    problem = assert_problem(api.call("PUT", path, body=body), status)

    assert field in error_fields(problem), problem
    assert items(dynamodb, table_name) == before
    assert api.call("GET", path)[2] == {name: created[name] for name in VIEW_FIELDS}


@pytest.mark.parametrize(
    ("raw_body", "status", "field"),
    [
        pytest.param("{", 400, "body", id="broken-json"),
        pytest.param(json.dumps({**BODY, "status": "active", "description": "d" * 17_000}), 413, None, id="oversized"),
    ],
)
def test_an_unreadable_put_is_a_problem_and_changes_nothing(
    api: Api, dynamodb: Any, table_name: str, raw_body: str, status: int, field: str | None
) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    before = items(dynamodb, table_name)

    problem = assert_problem(api.call("PUT", f"/webhooks/{created['id']}", raw_body=raw_body), status)

    if field is not None:
        assert field in error_fields(problem)
    assert items(dynamodb, table_name) == before


@pytest.mark.parametrize(
    "webhook_id",
    [
        pytest.param(new_id("wh"), id="well-formed-unknown"),
        pytest.param("wh_not-an-id", id="malformed"),
        pytest.param(new_id("key"), id="another-resource-id"),
    ],
)
def test_an_unknown_webhook_is_404_on_every_endpoint(api: Api, dynamodb: Any, table_name: str, webhook_id: str) -> None:
    assert_problem(api.call("GET", f"/webhooks/{webhook_id}"), 404)
    assert_problem(api.call("PUT", f"/webhooks/{webhook_id}", body={**BODY, "status": "active"}), 404)
    assert_problem(api.call("DELETE", f"/webhooks/{webhook_id}"), 404)
    assert scan_all(dynamodb, table_name) == []


# ------------------------------------------------------------------ deployment settings


def test_platform_event_types_can_be_subscribed_when_configured(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    settings(monkeypatch, PLATFORM_EVENT_TYPES="invoice.paid,order.created")

    created = create_webhook(api, events=["invoice.paid", "WebhookDeleted"])

    assert created["events"] == ["invoice.paid", "WebhookDeleted"]
    problem = assert_problem(api.call("POST", "/webhooks", body={**BODY, "events": ["invoice.voided"]}), 422)
    assert error_fields(problem) == ["events"]


def test_the_local_runtime_settings_accept_http_loopback_but_not_private_hosts(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings(monkeypatch, WEBHOOK_ALLOW_HTTP="true", WEBHOOK_ALLOW_LOOPBACK="true")

    assert create_webhook(api, events=["WebhookCreated"], url="http://localhost:9000/hook")["url"] == "http://localhost:9000/hook"
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://192.168.0.1/"):
        assert error_fields(assert_problem(api.call("POST", "/webhooks", body={**BODY, "url": url}), 422)) == ["url"]


def test_allowing_http_does_not_allow_loopback(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    settings(monkeypatch, WEBHOOK_ALLOW_HTTP="true")

    assert create_webhook(api, events=["WebhookCreated"], url="http://example.com/hook")["url"] == "http://example.com/hook"
    problem = assert_problem(api.call("POST", "/webhooks", body={**BODY, "url": "http://127.0.0.1:9000/"}), 422)
    assert error_fields(problem) == ["url"]


# ------------------------------------------------------------------ quota


@pytest.fixture
def quota_of_three(aws: Any, monkeypatch: pytest.MonkeyPatch) -> int:
    settings(monkeypatch, MAX_WEBHOOKS_PER_TENANT="3")
    return 3


def test_the_quota_refuses_one_more_webhook_and_writes_nothing(
    api: Api, dynamodb: Any, table_name: str, quota_of_three: int
) -> None:
    created = [create_webhook(api, events=["WebhookCreated"], name=f"hook {n}") for n in range(quota_of_three)]
    before = items(dynamodb, table_name)

    problem = assert_problem(api.call("POST", "/webhooks", body={**BODY, "name": "one too many"}), 409)

    assert "3" in problem["detail"]
    assert items(dynamodb, table_name) == before
    assert {webhook["id"] for webhook in listing(api)} == {webhook["id"] for webhook in created}


def test_deleting_a_webhook_frees_its_place_in_the_quota(api: Api, quota_of_three: int) -> None:
    created = [create_webhook(api, events=["WebhookCreated"], name=f"hook {n}") for n in range(quota_of_three)]
    assert_problem(api.call("POST", "/webhooks", body=BODY), 409)

    assert api.call("DELETE", f"/webhooks/{created[1]['id']}")[0] == 204
    replacement = create_webhook(api, events=["WebhookCreated"], name="replacement")

    assert {webhook["id"] for webhook in listing(api)} == {created[0]["id"], created[2]["id"], replacement["id"]}
    assert_problem(api.call("POST", "/webhooks", body=BODY), 409)


def test_disabled_webhooks_count_towards_the_quota(api: Api, quota_of_three: int) -> None:
    for n in range(quota_of_three):
        create_webhook(api, events=["WebhookCreated"], name=f"hook {n}", status="disabled")

    assert_problem(api.call("POST", "/webhooks", body=BODY), 409)


def test_one_tenants_quota_does_not_limit_another(api: Api, quota_of_three: int) -> None:
    for n in range(quota_of_three):
        create_webhook(api, events=["WebhookCreated"], tenant="tenant-a", name=f"hook {n}")
    assert_problem(api.call("POST", "/webhooks", tenant="tenant-a", body=BODY), 409)

    created = [create_webhook(api, events=["WebhookCreated"], tenant="tenant-b", name=f"b {n}") for n in range(quota_of_three)]

    assert len(created) == quota_of_three
    assert_problem(api.call("POST", "/webhooks", tenant="tenant-b", body=BODY), 409)


# ------------------------------------------------------------------ scopes

OTHER_SCOPES = {
    "webhooks:read": "webhooks:write api-keys:read api-keys:write",
    "webhooks:write": "webhooks:read api-keys:read api-keys:write",
}


@pytest.mark.parametrize(
    ("method", "on_one", "scope"),
    [
        pytest.param("GET", False, "webhooks:read", id="list"),
        pytest.param("GET", True, "webhooks:read", id="get"),
        pytest.param("POST", False, "webhooks:write", id="create"),
        pytest.param("PUT", True, "webhooks:write", id="replace"),
        pytest.param("DELETE", True, "webhooks:write", id="delete"),
    ],
)
def test_each_endpoint_needs_its_scope(
    api: Api, dynamodb: Any, table_name: str, method: str, on_one: bool, scope: str
) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    path = f"/webhooks/{created['id']}" if on_one else "/webhooks"
    body = {**BODY, "name": "changed", "status": "active"} if method in ("PUT", "POST") else None
    before = items(dynamodb, table_name)

    for scopes in (OTHER_SCOPES[scope], "", "webhooks:admin webhooks"):
        problem = assert_problem(api.call(method, path, scopes=scopes, body=body), 403)
        assert scope in problem["detail"]
    assert items(dynamodb, table_name) == before

    status, _, answer = api.call(method, path, scopes=scope, body=body)
    assert status in (200, 201, 204), answer


# ------------------------------------------------------------------ tenant isolation


def _not_found_shape(response: Response, webhook_id: str) -> tuple[int, str, dict[str, Any]]:
    status, headers, body = response
    return status, headers["content-type"], {**body, "detail": body["detail"].replace(webhook_id, "<id>")}


def test_another_tenant_cannot_tell_a_webhook_exists(api: Api, dynamodb: Any, table_name: str) -> None:
    webhook = create_webhook(api, events=["WebhookCreated"], tenant="tenant-a")
    path = f"/webhooks/{webhook['id']}"
    before = items(dynamodb, table_name)
    view_before = api.call("GET", path, tenant="tenant-a")[2]
    unknown = new_id("wh")
    replacement = put_body(webhook, name="hijacked", url="https://attacker.example/")

    for method, body in (("GET", None), ("PUT", replacement), ("DELETE", None)):
        foreign = api.call(method, path, tenant="tenant-b", body=body)
        missing = api.call(method, f"/webhooks/{unknown}", tenant="tenant-b", body=body)
        assert_problem(foreign, 404)
        assert _not_found_shape(foreign, webhook["id"]) == _not_found_shape(missing, unknown)

    assert items(dynamodb, table_name) == before
    assert api.call("GET", path, tenant="tenant-a")[2] == view_before


def test_a_tenants_listing_never_shows_another_tenants_webhooks(api: Api) -> None:
    a_active = create_webhook(api, events=["WebhookCreated"], tenant="tenant-a")
    a_disabled = create_webhook(api, events=["WebhookCreated"], tenant="tenant-a", status="disabled")
    b_webhook = create_webhook(api, events=["WebhookCreated"], tenant="tenant-b", name="b")

    assert [w["id"] for w in listing(api, tenant="tenant-b")] == [b_webhook["id"]]
    assert [w["id"] for w in listing(api, tenant="tenant-b", query="status=active")] == [b_webhook["id"]]
    assert listing(api, tenant="tenant-b", query="status=disabled") == []
    assert listing(api, tenant="tenant-c") == []
    assert {w["id"] for w in listing(api, tenant="tenant-a")} == {a_active["id"], a_disabled["id"]}


@pytest.mark.parametrize("query", ["", "status=active"], ids=["unfiltered", "active"])
def test_a_tenants_cursor_is_refused_for_another_tenant(api: Api, query: str) -> None:
    for n in range(3):
        create_webhook(api, events=["WebhookCreated"], tenant="tenant-a", name=f"a {n}")
    create_webhook(api, events=["WebhookCreated"], tenant="tenant-b", name="b")
    separator = "&" if query else ""
    status, _, page = api.call("GET", "/webhooks", tenant="tenant-a", query=f"{query}{separator}limit=1")
    assert status == 200 and page["next_cursor"]

    problem = assert_problem(
        api.call("GET", "/webhooks", tenant="tenant-b", query=f"{query}{separator}limit=1&cursor={page['next_cursor']}"), 422
    )

    assert error_fields(problem) == ["cursor"]


# ------------------------------------------------------------------ status filter


def test_the_status_filter_lists_only_that_status(api: Api) -> None:
    first = create_webhook(api, events=["WebhookCreated"], name="first")
    second = create_webhook(api, events=["WebhookCreated"], name="second", status="disabled")
    third = create_webhook(api, events=["WebhookCreated"], name="third")
    status, _, _ = api.call("PUT", f"/webhooks/{third['id']}", body=put_body(third, status="disabled"))
    assert status == 200
    status, _, _ = api.call("PUT", f"/webhooks/{second['id']}", body=put_body(second, status="active", name="second!"))
    assert status == 200

    active = listing(api, query="status=active")
    disabled = listing(api, query="status=disabled")

    assert [w["id"] for w in active] == [second["id"], first["id"]]
    assert all(w["status"] == "active" for w in active)
    assert active[0]["name"] == "second!"
    assert [w["id"] for w in disabled] == [third["id"]]
    assert disabled[0]["status"] == "disabled"
    assert [w["id"] for w in listing(api)] == [third["id"], second["id"], first["id"]]


def test_a_deleted_webhook_leaves_every_status_listing(api: Api) -> None:
    active, disabled = create_webhook(api, events=["WebhookCreated"]), create_webhook(api, events=["WebhookCreated"], status="disabled")
    for webhook in (active, disabled):
        assert api.call("DELETE", f"/webhooks/{webhook['id']}")[0] == 204

    assert listing(api) == []
    assert listing(api, query="status=active") == []
    assert listing(api, query="status=disabled") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param("status=bogus", "status", id="unknown-status"),
        pytest.param("status=ACTIVE", "status", id="upper-case-status"),
        pytest.param("status=", "status", id="empty-status"),
        pytest.param("status=deleted", "status", id="deleted-is-not-a-status"),
        pytest.param("limit=0", "limit", id="limit-0"),
        pytest.param("limit=101", "limit", id="limit-too-large"),
        pytest.param("limit=ten", "limit", id="limit-not-a-number"),
        pytest.param("cursor=not-a-cursor", "cursor", id="garbage-cursor"),
    ],
)
def test_a_bad_listing_query_is_422_naming_the_parameter(api: Api, query: str, field: str) -> None:
    problem = assert_problem(api.call("GET", "/webhooks", query=query), 422)

    assert field in error_fields(problem), problem


def test_the_list_response_has_items_and_next_cursor(api: Api) -> None:
    create_webhook(api, events=["WebhookCreated"])

    status, headers, page = api.call("GET", "/webhooks")

    assert status == 200
    assert headers["content-type"] == "application/json"
    assert set(page) == {"items", "next_cursor"}
    assert page["next_cursor"] is None
    assert set(page["items"][0]) == VIEW_FIELDS

