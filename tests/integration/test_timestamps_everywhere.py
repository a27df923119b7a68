"""Every time the service writes for someone outside it, in one format: RFC 3339 in UTC with
milliseconds and ``Z`` (:data:`integration.domain.clock.TIMESTAMP_PATTERN`). One flow through the
whole API, behind the authorizer with a real API key, walks every response body (problems
included), every domain event recorded, and the body of a webhook request as the receiver got
it; every time-looking value in them must be written that one way."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integration import wiring
from integration.domain.clock import TIMESTAMP_PATTERN
from integration.domain.principal import operator
from tests.conftest import Api
from tests.integration.delivery_helpers import use_delivery_environment
from tests.integration.helpers import outbox
from tests.webhook_receiver import Receiver, running_receiver

pytestmark = pytest.mark.usefixtures("aws")

TIMESTAMP = re.compile(TIMESTAMP_PATTERN)
# Anything that looks like a date with a time of day, however it is written.
TIME_LIKE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})?")
# Members that hold a time (or null), whatever their value looks like.
TIME_MEMBER = re.compile(r"(_at|At|_since|Since|^timestamp|^time)$")


def times_in(value: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    """(where, what) for every time-looking value in a JSON document: a member named like a time,
    and every date-time written anywhere inside a string (a problem's detail, a description)."""
    if isinstance(value, dict):
        for name, member in value.items():
            where = f"{path}.{name}"
            if TIME_MEMBER.search(name) and not isinstance(member, (dict, list)):
                yield where, member
            elif isinstance(member, str):
                yield from ((where, found) for found in TIME_LIKE.findall(member))
            else:
                yield from times_in(member, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from times_in(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield from ((path, found) for found in TIME_LIKE.findall(value))


def wrongly_written(document: Any) -> list[tuple[str, Any]]:
    return [(where, value) for where, value in times_in(document) if value is not None and not (isinstance(value, str) and TIMESTAMP.fullmatch(value))]


def test_the_walker_finds_what_is_written_another_way() -> None:
    document = {
        "created_at": "2026-12-01T23:35:12.123456Z",
        "nested": [{"occurredAt": "2026-12-01T23:35:12+00:00"}, {"expires_at": None}],
        "detail": "must be no later than 2026-12-01T23:35:12Z, when ...",
        "ok": {"updated_at": "2026-12-01T23:35:12.123Z", "text": "e.g. 2026-12-01T23:35:12.123Z"},
        "last_used_at": 1796168112,
    }
    assert wrongly_written(document) == [
        ("$.created_at", "2026-12-01T23:35:12.123456Z"),
        ("$.nested[0].occurredAt", "2026-12-01T23:35:12+00:00"),
        ("$.detail", "2026-12-01T23:35:12Z"),
        ("$.last_used_at", 1796168112),
    ]


@pytest.fixture
def receiver(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    use_delivery_environment(aws, monkeypatch)
    with running_receiver() as running:
        yield running


def test_every_time_in_a_whole_flow_is_written_one_way(api: Api, receiver: Receiver, dynamodb: Any, table_name: str) -> None:
    responses: list[tuple[str, int, Any]] = []

    def call(method: str, path: str, *, key: str, expect: int, **kwargs: Any) -> Any:
        status, _, body = api.call(method, path, key=key, **kwargs)
        assert status == expect, (method, path, body)
        responses.append((f"{method} {path}", status, body))
        return body

    # A key made by the operator, expiring at a time written with an offset and microseconds.
    expires = datetime.now(UTC).replace(microsecond=654321) + timedelta(days=30)
    admin = wiring.create_api_key().execute(
        operator("tenant-a"), name="admin", scopes=["api-keys:read", "api-keys:write", "webhooks:read", "webhooks:write"], expires_at=expires
    )
    key = admin.plaintext

    # API keys: create one with an offset expiry, read, list, one it may not make, revoke.
    child_expiry = (expires - timedelta(days=1)).astimezone(datetime.now().astimezone().tzinfo).isoformat()
    child = call("POST", "/api-keys", key=key, expect=201, body={"name": "ci", "scopes": ["api-keys:read"], "expires_at": child_expiry})
    call("GET", f"/api-keys/{child['id']}", key=key, expect=200)
    call("GET", "/api-keys", key=key, expect=200)
    call("GET", "/api-keys", key=key, expect=200, query=f"created_by={admin.api_key.id}")
    later = (expires + timedelta(days=1)).isoformat()
    call("POST", "/api-keys", key=key, expect=422, body={"name": "x", "scopes": ["api-keys:read"], "expires_at": later})
    call("POST", f"/api-keys/{child['id']}/revoke", key=key, expect=200)
    call("GET", f"/api-keys/{admin.api_key.id}", key=key, expect=200)  # last_used_at, recorded by the authorizer

    # Webhooks: create, read, list, replace, patch, rotate, a stale If-Match, a 404.
    hook = call("POST", "/webhooks", key=key, expect=201, body={"name": "orders", "url": receiver.url, "events": ["*"]})
    path = f"/webhooks/{hook['id']}"
    call("GET", path, key=key, expect=200)
    call("GET", "/webhooks", key=key, expect=200)
    call("GET", "/webhooks", key=key, expect=200, query="status=active")
    put = {"name": "orders v2", "url": receiver.url, "events": ["*"], "description": "d", "status": "active"}
    call("PUT", path, key=key, expect=200, body=put)
    call("PATCH", path, key=key, expect=200, body={"description": None}, headers={"content-type": "application/merge-patch+json"})
    call("POST", f"{path}/rotate-secret", key=key, expect=200)
    call("GET", path, key=key, expect=200)  # previous_secret_expires_at
    call("PATCH", path, key=key, expect=412, body={"name": "x"}, headers={"If-Match": '"1"'})
    call("GET", "/webhooks/wh_01M8JVWR7Q2BQDDWVMMXSCGK4F", key=key, expect=404)

    # A test message whose attempt fails (failing_since), the delivery log, a retry too early.
    delivered = call("POST", f"{path}/test", key=key, expect=202)
    pending = wiring.delivery_log().get(admin.api_key.tenant_id, hook["id"], delivered["id"])
    assert pending is not None
    receiver.statuses = [500]
    wiring.deliver_message().execute(pending.message, attempt_number=1, manual=False)
    call("GET", path, key=key, expect=200)
    call("GET", f"{path}/deliveries", key=key, expect=200)
    call("GET", f"{path}/deliveries/{delivered['id']}", key=key, expect=200)
    call("POST", f"{path}/deliveries/{delivered['id']}/retry", key=key, expect=409)  # its next attempt is scheduled
    call("GET", "/event-types", key=key, expect=200)
    call("DELETE", path, key=key, expect=204)

    # The failing attempt's time, and the webhook's health, came out too.
    shown = {name: value for _, _, body in responses for name, value in times_in(body)}
    assert any(name.endswith(".failing_since") and value for name, value in shown.items())
    assert any(name.endswith(".previous_secret_expires_at") and value for name, value in shown.items())
    assert any(name.endswith(".last_used_at") and value for name, value in shown.items())
    assert any(name.endswith(".payload.timestamp") for name in shown)
    assert any(name.endswith("].at") for name in shown)

    for request, status, body in responses:
        assert wrongly_written(body) == [], (request, status)
    assert sum(1 for _, _, body in responses for _ in times_in(body)) > 40

    # Every domain event recorded, and the webhook request as the receiver got it.
    details = [event["detail"] for event in outbox(dynamodb, table_name)]
    assert {"ApiKeyCreated", "ApiKeyRevoked", "WebhookCreated", "WebhookUpdated", "WebhookSecretRotated", "WebhookDeleted"} <= {
        event["event_type"] for event in outbox(dynamodb, table_name)
    }
    assert wrongly_written(details) == []
    (request,) = receiver.requests
    payload = json.loads(request.body)
    assert TIMESTAMP.fullmatch(payload["timestamp"])
    assert wrongly_written(payload) == []
    assert re.fullmatch(r"[0-9]+", request.headers["webhook-timestamp"])  # Standard Webhooks: whole seconds
