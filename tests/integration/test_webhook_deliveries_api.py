"""The delivery log and operations API: listing, one delivery, retry, test, rotate-secret, with
tenant isolation, scopes and bad input. Delivery records are written by the real delivery log
on moto; sending is covered in test_webhook_delivery.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from integration import wiring
from integration.domain.deliveries import AttemptTrigger, DeliveryAttempt, DeliveryStatus, WebhookMessage, fanned_out_message_id
from integration.domain.errors import ConflictError
from integration.infrastructure.aws import sqs_client
from tests.conftest import Api
from tests.integration.delivery_helpers import use_delivery_environment
from tests.integration.helpers import assert_problem, create_webhook, items

pytestmark = pytest.mark.usefixtures("aws")

URL = "https://hooks.example.com/in"
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _environment(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch)


def record(webhook_id: str, n: int, status: DeliveryStatus, *, tenant: str = "tenant-a", code: int = 500) -> WebhookMessage:
    """A logged message for event ``n`` (later n, newer) with one attempt that ended ``status``."""
    at = T0 + timedelta(seconds=n)
    message = WebhookMessage(
        id=fanned_out_message_id(event_key=f"evt_{n}", webhook_id=webhook_id, occurred_at=at),
        tenant_id=tenant,
        webhook_id=webhook_id,
        event_type="WebhookCreated",
        event_id=f"evt_{n}",
        timestamp=at,
        data={"tenantId": tenant, "n": n},
    )
    attempt = DeliveryAttempt(at=at, trigger=AttemptTrigger.SCHEDULED, status_code=code, duration_ms=12, error=None, response_body="no")
    next_at = at + timedelta(minutes=5) if status is DeliveryStatus.PENDING else None
    wiring.delivery_log().record_attempt(message, attempt, status, next_attempt_at=next_at, expires_at=at + timedelta(days=30))
    return message


def test_deliveries_are_listed_newest_first_across_pages(api: Api) -> None:
    hook = create_webhook(api, URL)
    ids = [record(hook["id"], n, DeliveryStatus.FAILED).id for n in range(5)]
    seen, cursor = [], None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, _, page = api.call("GET", f"/webhooks/{hook['id']}/deliveries", query=query)
        assert status == 200, page
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


def test_deliveries_filter_by_status(api: Api) -> None:
    hook = create_webhook(api, URL)
    pending = record(hook["id"], 1, DeliveryStatus.PENDING)
    succeeded = record(hook["id"], 2, DeliveryStatus.SUCCEEDED, code=200)
    failed = record(hook["id"], 3, DeliveryStatus.FAILED)
    for status, message in (("pending", pending), ("succeeded", succeeded), ("failed", failed)):
        code, _, page = api.call("GET", f"/webhooks/{hook['id']}/deliveries", query=f"status={status}")
        assert code == 200 and [item["id"] for item in page["items"]] == [message.id], page
        assert page["items"][0]["status"] == status


def test_a_status_change_moves_a_delivery_between_status_listings(api: Api) -> None:
    hook = create_webhook(api, URL)
    message = record(hook["id"], 1, DeliveryStatus.PENDING)
    attempt = DeliveryAttempt(at=T0, trigger=AttemptTrigger.SCHEDULED, status_code=200, duration_ms=3, error=None, response_body="")
    wiring.delivery_log().record_attempt(message, attempt, DeliveryStatus.SUCCEEDED, next_attempt_at=None, expires_at=T0 + timedelta(days=1))
    assert api.call("GET", f"/webhooks/{hook['id']}/deliveries", query="status=pending")[2]["items"] == []
    (item,) = api.call("GET", f"/webhooks/{hook['id']}/deliveries", query="status=succeeded")[2]["items"]
    assert item["attempt_count"] == 2 and item["last_status_code"] == 200 and item["next_attempt_at"] is None


def test_one_delivery_shows_payload_and_attempts_without_any_secret(api: Api, dynamodb: Any, table_name: str) -> None:
    hook = create_webhook(api, URL)
    message = record(hook["id"], 7, DeliveryStatus.PENDING)
    status, _, body = api.call("GET", f"/webhooks/{hook['id']}/deliveries/{message.id}")
    assert status == 200, body
    assert body["payload"] == {"type": "WebhookCreated", "timestamp": "2026-11-29T12:00:07.000Z", "data": {"tenantId": "tenant-a", "n": 7}}
    assert body["attempts"] == [
        {"at": "2026-11-29T12:00:07.000Z", "trigger": "scheduled", "status_code": 500, "duration_ms": 12, "error": None, "response_body": "no"}
    ]
    assert body["next_attempt_at"] == "2026-11-29T12:05:07.000Z"
    assert hook["secret"] not in json.dumps(body)
    (stored,) = [item for item in items(dynamodb, table_name) if item.get("entity") == "WebhookDelivery"]
    assert hook["secret"] not in json.dumps(stored, default=str)
    assert stored["ttl"] == int((T0 + timedelta(seconds=7, days=30)).timestamp())


def test_another_tenant_cannot_see_or_act_on_deliveries(api: Api) -> None:
    hook = create_webhook(api, URL)
    message = record(hook["id"], 1, DeliveryStatus.FAILED)
    base = f"/webhooks/{hook['id']}"
    for method, path in (
        ("GET", f"{base}/deliveries"),
        ("GET", f"{base}/deliveries/{message.id}"),
        ("POST", f"{base}/deliveries/{message.id}/retry"),
        ("POST", f"{base}/test"),
        ("POST", f"{base}/rotate-secret"),
    ):
        problem = assert_problem(api.call(method, path, tenant="tenant-b"), 404)
        assert "tenant-a" not in json.dumps(problem)


def test_unknown_and_malformed_ids_are_404(api: Api) -> None:
    hook = create_webhook(api, URL)
    unknown_message = "msg_01M8JVX0Q8D5N2C4B6A8E0G2J4"
    assert_problem(api.call("GET", "/webhooks/wh_01M8JVWR7Q2BQDDWVMMXSCGK4F/deliveries"), 404)
    assert_problem(api.call("GET", "/webhooks/not-an-id/deliveries"), 404)
    assert_problem(api.call("GET", f"/webhooks/{hook['id']}/deliveries/{unknown_message}"), 404)
    assert_problem(api.call("GET", f"/webhooks/{hook['id']}/deliveries/nope"), 404)
    assert_problem(api.call("POST", f"/webhooks/{hook['id']}/deliveries/{unknown_message}/retry"), 404)


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("status=sent", "status"), ("cursor=garbage", "cursor")],
)
def test_bad_listing_parameters_are_422_with_the_field(api: Api, query: str, field: str) -> None:
    hook = create_webhook(api, URL)
    problem = assert_problem(api.call("GET", f"/webhooks/{hook['id']}/deliveries", query=query), 422)
    assert field in [error["field"].split(".")[-1] for error in problem["errors"]], problem


def test_a_cursor_of_one_webhooks_log_is_refused_on_another(api: Api) -> None:
    first, second = create_webhook(api, URL), create_webhook(api, URL)
    for n in range(3):
        record(first["id"], n, DeliveryStatus.FAILED)
    cursor = api.call("GET", f"/webhooks/{first['id']}/deliveries", query="limit=1")[2]["next_cursor"]
    assert cursor
    assert_problem(api.call("GET", f"/webhooks/{second['id']}/deliveries", query=f"limit=1&cursor={cursor}"), 422)
    assert_problem(api.call("GET", f"/webhooks/{first['id']}/deliveries", query=f"limit=1&status=failed&cursor={cursor}"), 422)


def test_scopes_read_to_look_and_write_to_act(api: Api) -> None:
    hook = create_webhook(api, URL)
    message = record(hook["id"], 1, DeliveryStatus.FAILED)
    base = f"/webhooks/{hook['id']}"
    assert_problem(api.call("GET", f"{base}/deliveries", scopes="webhooks:write"), 403)
    assert_problem(api.call("GET", f"{base}/deliveries/{message.id}", scopes="webhooks:write"), 403)
    for path in (f"{base}/deliveries/{message.id}/retry", f"{base}/test", f"{base}/rotate-secret"):
        assert_problem(api.call("POST", path, scopes="webhooks:read"), 403)


def test_retry_and_test_refuse_a_disabled_webhook_and_change_nothing(api: Api, dynamodb: Any, table_name: str) -> None:
    hook = create_webhook(api, URL)
    message = record(hook["id"], 1, DeliveryStatus.FAILED)
    body = {"name": "receiver", "url": URL, "events": ["*"], "status": "disabled"}
    assert api.call("PUT", f"/webhooks/{hook['id']}", body=body)[0] == 200
    before = items(dynamodb, table_name)
    problem = assert_problem(api.call("POST", f"/webhooks/{hook['id']}/deliveries/{message.id}/retry"), 409)
    assert "active" in problem["detail"]
    assert_problem(api.call("POST", f"/webhooks/{hook['id']}/test"), 409)
    assert items(dynamodb, table_name) == before


def test_a_retry_marks_the_delivery_pending_and_queues_one_manual_attempt(api: Api, aws: Any) -> None:
    hook = create_webhook(api, URL)
    message = record(hook["id"], 1, DeliveryStatus.FAILED)
    status, _, body = api.call("POST", f"/webhooks/{hook['id']}/deliveries/{message.id}/retry")
    assert status == 202 and body["status"] == "pending" and body["attempt_count"] == 1
    (listed,) = api.call("GET", f"/webhooks/{hook['id']}/deliveries", query="status=pending")[2]["items"]
    assert listed["id"] == message.id
    (queued,) = sqs_client().receive_message(
        QueueUrl=aws.queue_url("WebhookDeliveryQueue"), MaxNumberOfMessages=10, MessageSystemAttributeNames=["MessageGroupId"]
    )["Messages"]
    assert json.loads(queued["Body"])["manual"] is True and json.loads(queued["Body"])["messageId"] == message.id
    assert queued["Attributes"]["MessageGroupId"] == "tenant-a"  # fair queueing: the tenant


def test_a_test_message_is_queued_with_its_tenant_as_message_group_id(api: Api, aws: Any) -> None:
    hook = create_webhook(api, URL, tenant="tenant-b")
    status, _, body = api.call("POST", f"/webhooks/{hook['id']}/test", tenant="tenant-b")
    assert status == 202, body
    (queued,) = sqs_client().receive_message(
        QueueUrl=aws.queue_url("WebhookDeliveryQueue"), MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    )["Messages"]
    assert json.loads(queued["Body"])["messageId"] == body["id"]
    assert queued["Attributes"]["MessageGroupId"] == "tenant-b"


def test_rotate_secret_returns_the_new_secret_once_and_get_never_shows_it(api: Api, dynamodb: Any, table_name: str) -> None:
    hook = create_webhook(api, URL)
    status, _, rotated = api.call("POST", f"/webhooks/{hook['id']}/rotate-secret")
    assert status == 200
    expires = datetime.fromisoformat(rotated["previous_secret_expires_at"].replace("Z", "+00:00"))
    assert timedelta(hours=23, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=24)
    fetched = json.dumps(api.call("GET", f"/webhooks/{hook['id']}")[2])
    listed = json.dumps(api.call("GET", "/webhooks")[2])
    for secret in (hook["secret"], rotated["secret"]):
        assert secret not in fetched and secret not in listed
    (event,) = [item for item in items(dynamodb, table_name) if item.get("event_type") == "WebhookSecretRotated"]
    assert rotated["secret"] not in json.dumps(event, default=str) and hook["secret"] not in json.dumps(event, default=str)


def test_deleting_a_webhook_drops_both_secrets_from_its_record(api: Api, dynamodb: Any, table_name: str) -> None:
    hook = create_webhook(api, URL)
    rotated = api.call("POST", f"/webhooks/{hook['id']}/rotate-secret")[2]
    assert api.call("DELETE", f"/webhooks/{hook['id']}")[0] == 204
    stored = json.dumps(items(dynamodb, table_name), default=str)
    assert hook["secret"] not in stored and rotated["secret"] not in stored


def test_a_pending_delivery_cannot_be_retried_until_its_scheduled_attempt_is_done(api: Api, dynamodb: Any, table_name: str) -> None:
    hook = create_webhook(api, URL)
    message = record(hook["id"], 1, DeliveryStatus.PENDING)
    before = items(dynamodb, table_name)
    problem = assert_problem(api.call("POST", f"/webhooks/{hook['id']}/deliveries/{message.id}/retry"), 409)
    assert "pending" in problem["detail"]
    assert items(dynamodb, table_name) == before


def refuse_sqs(operation: str) -> Any:
    """Make the functions' SQS client fail ``operation`` (botocore's own event hook)."""

    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "try later"}}, operation)

    sqs_client().meta.events.register(f"before-call.sqs.{operation}", fail, unique_id="refuse-sqs")


def test_a_retry_that_cannot_be_queued_is_a_500_and_leaves_the_delivery_as_it_was(api: Api) -> None:
    hook = create_webhook(api, URL)
    message = record(hook["id"], 1, DeliveryStatus.FAILED)
    refuse_sqs("SendMessage")
    assert_problem(api.call("POST", f"/webhooks/{hook['id']}/deliveries/{message.id}/retry"), 500)
    assert api.call("GET", f"/webhooks/{hook['id']}/deliveries/{message.id}")[2]["status"] == "failed"


def test_a_test_message_that_cannot_be_queued_is_logged_failed_not_pending(api: Api) -> None:
    hook = create_webhook(api, URL)
    refuse_sqs("SendMessageBatch")
    assert_problem(api.call("POST", f"/webhooks/{hook['id']}/test"), 500)
    (logged,) = api.call("GET", f"/webhooks/{hook['id']}/deliveries")[2]["items"]
    assert logged["status"] == "failed" and "could not be queued" in logged["dropped_reason"]


def test_of_two_retries_at_once_only_one_marks_the_delivery_pending(api: Api) -> None:
    hook = create_webhook(api, URL)
    message = record(hook["id"], 1, DeliveryStatus.FAILED)
    (seen,) = wiring.delivery_log().list("tenant-a", hook["id"], status=None, limit=1, cursor=None).items
    wiring.delivery_log().mark_pending(seen, T0)  # both read "failed"; the first wins ...
    with pytest.raises(ConflictError):
        wiring.delivery_log().mark_pending(seen, T0)  # ... the second is refused
    assert message.id == seen.message.id
