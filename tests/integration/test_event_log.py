"""The tenant's event log on moto: the fan-out records every tenant event once (joined webhook
ids when handled again, also with no subscriber), GET /events (newest first, pages, type, time
window both ends, cursors bound to tenant and filters, isolation), GET /events/{id} with each
webhook's delivery outcome."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integration import wiring
from integration.domain.clock import format_timestamp
from integration.domain.deliveries import TenantEvent, fanned_out_message_id
from integration.domain.event_log import logged_event_id
from integration.domain.events import webhook_created
from tests.conftest import Api
from tests.integration.delivery_helpers import publish, running_pipeline, use_delivery_environment, wait_until
from tests.integration.helpers import assert_problem, create_webhook, items
from tests.integration.test_webhook_fan_out import fan_out_pending_events, receive_all
from tests.webhook_receiver import running_receiver

pytestmark = pytest.mark.usefixtures("aws")

URL = "https://hooks.example.com/in"
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
MS = timedelta(milliseconds=1)


@pytest.fixture(autouse=True)
def _environment(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch)


def log(
    n: int,
    *,
    at: datetime | None = None,
    tenant: str = "tenant-a",
    event_type: str = "WebhookCreated",
    webhooks: tuple[str, ...] = (),
) -> str:
    """Record event ``n`` (at T0 + n s unless ``at``) in ``tenant``'s log; its id."""
    occurred_at = at or T0 + timedelta(seconds=n)
    event = TenantEvent(tenant, event_type, f"bus-{tenant}-{n}", occurred_at, {"tenantId": tenant, "n": n})
    return wiring.event_log().record(event, webhooks, expires_at=occurred_at + timedelta(days=30)).id


def list_all(api: Api, query: str = "", *, tenant: str = "tenant-a", limit: int = 3) -> list[dict[str, Any]]:
    """Every page of GET /events, followed by its cursors; each page at most ``limit``."""
    seen, cursor = [], None
    while True:
        parts = [f"limit={limit}", *([query] if query else []), *([f"cursor={cursor}"] if cursor else [])]
        status, _, page = api.call("GET", "/events", tenant=tenant, query="&".join(parts))
        assert status == 200, page
        assert len(page["items"]) <= limit
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


def logged_items(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    return [item for item in items(dynamodb, table_name) if item.get("entity") == "LoggedEvent"]


# ------------------------------------------------------------------------------ the fan-out writes it


def test_the_fan_out_records_each_event_once_and_joins_the_webhooks_of_a_second_handling(
    aws: Any, api: Api, dynamodb: Any, table_name: str
) -> None:
    first = create_webhook(api, f"{URL}/1", events=("WebhookCreated",))
    event = webhook_created(webhook_id="wh_x", tenant_id="tenant-a", name="n", url=URL, at=T0 + timedelta(milliseconds=123))
    publish(aws, tenant="tenant-a", event_type="WebhookCreated", **event.detail)
    assert fan_out_pending_events(aws) == {"batchItemFailures": []}
    second = create_webhook(api, f"{URL}/2", events=("*",))
    publish(aws, tenant="tenant-a", event_type="WebhookCreated", **event.detail)  # the relay publishes it again
    assert fan_out_pending_events(aws) == {"batchItemFailures": []}

    (record,) = logged_items(dynamodb, table_name)
    assert record["PK"] == "TENANT#tenant-a#EVENTS" and record["SK"] == f"EVENT#{event.event_id}"
    assert record["GSI1PK"] == "TENANT#tenant-a#EVENTS#TYPE#WebhookCreated"
    assert record["webhook_ids"] == {first["id"], second["id"]}
    assert record["ttl"] > int(datetime.now(UTC).timestamp())
    status, _, page = api.call("GET", "/events")
    assert status == 200
    (listed,) = page["items"]
    # This service's event keeps its own id and its time to the millisecond.
    assert listed["id"] == event.event_id and listed["source_id"] == event.event_id
    assert listed["occurred_at"] == "2026-11-29T12:00:00.123Z"
    assert listed["type"] == "WebhookCreated" and listed["data"] == event.detail
    assert listed["webhook_ids"] == sorted([first["id"], second["id"]])


def test_a_logged_event_expires_after_the_event_log_s_retention(
    aws: Any, api: Api, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_delivery_environment(aws, monkeypatch, EVENT_LOG_RETENTION_DAYS="2")
    wiring.fan_out_event().execute(TenantEvent("tenant-a", "WebhookCreated", "bus-1", T0, {"tenantId": "tenant-a"}))
    (record,) = logged_items(dynamodb, table_name)
    expected = (datetime.now(UTC) + timedelta(days=2)).timestamp()
    assert abs(int(record["ttl"]) - expected) < 60


def test_an_event_no_webhook_subscribed_to_is_still_recorded(aws: Any, api: Api, dynamodb: Any, table_name: str) -> None:
    create_webhook(api, URL, events=("ApiKeyCreated",))
    bus_id = publish(aws, tenant="tenant-a", event_type="WebhookCreated", webhookId="wh_x")
    fan_out_pending_events(aws)

    assert receive_all(aws.queue_url("WebhookDeliveryQueue")) == []
    (record,) = logged_items(dynamodb, table_name)
    assert "webhook_ids" not in record and record["source_id"] == bus_id  # a platform-style event: the bus id
    _, _, page = api.call("GET", "/events")
    assert [(item["type"], item["webhook_ids"]) for item in page["items"]] == [("WebhookCreated", [])]


# ----------------------------------------------------------------------------------- GET /events


def test_events_are_listed_newest_first_across_pages_without_gaps_or_duplicates(api: Api) -> None:
    ids = [log(n) for n in range(8)]
    seen = list_all(api, limit=3)
    assert [item["id"] for item in seen] == list(reversed(ids))


def test_the_type_filter_reads_only_that_type_across_pages(api: Api) -> None:
    created = [log(n, event_type="WebhookCreated") for n in range(0, 10, 2)]
    deleted = [log(n, event_type="WebhookDeleted") for n in range(1, 10, 2)]
    assert [item["id"] for item in list_all(api, "type=WebhookDeleted", limit=2)] == list(reversed(deleted))
    assert [item["id"] for item in list_all(api, "type=WebhookCreated", limit=2)] == list(reversed(created))
    assert list_all(api, "type=ApiKeyCreated") == []


def test_since_and_until_include_both_ends_to_the_millisecond(api: Api) -> None:
    since, until = T0 + timedelta(seconds=10), T0 + timedelta(seconds=20)
    before = log(1, at=since - MS)
    at_since = log(2, at=since)
    inside = log(3, at=since + timedelta(seconds=5))
    at_until = log(4, at=until)
    after = log(5, at=until + MS)
    window = f"since={format_timestamp(since)}&until={format_timestamp(until)}"
    assert [item["id"] for item in list_all(api, window, limit=2)] == [at_until, inside, at_since]
    assert [item["id"] for item in list_all(api, f"since={format_timestamp(since)}")] == [after, at_until, inside, at_since]
    assert [item["id"] for item in list_all(api, f"until={format_timestamp(until)}")] == [at_until, inside, at_since, before]
    typed = list_all(api, f"{window}&type=WebhookCreated", limit=1)
    assert [item["id"] for item in typed] == [at_until, inside, at_since]
    # An offset other than Z names the same instant.
    assert [item["id"] for item in list_all(api, "since=2026-11-29T13:00:20.000%2B01:00")] == [after, at_until]


def test_a_cursor_only_resumes_the_listing_and_tenant_it_came_from(api: Api) -> None:
    for n in range(4):
        log(n)
        log(n, tenant="tenant-b")
    _, _, page = api.call("GET", "/events", query="limit=1")
    cursor = page["next_cursor"]
    _, _, typed = api.call("GET", "/events", query="limit=1&type=WebhookCreated")
    _, _, windowed = api.call("GET", "/events", query=f"limit=1&since={format_timestamp(T0)}")
    for tenant, query in (
        ("tenant-b", f"cursor={cursor}"),
        ("tenant-a", f"cursor={cursor}&type=WebhookCreated"),
        ("tenant-a", f"cursor={cursor}&since={format_timestamp(T0)}"),
        ("tenant-a", f"cursor={typed['next_cursor']}"),
        ("tenant-a", f"cursor={windowed['next_cursor']}&since={format_timestamp(T0 + MS)}"),
        ("tenant-a", "cursor=not-a-cursor"),
    ):
        problem = assert_problem(api.call("GET", "/events", tenant=tenant, query=query), 422)
        assert [(error["field"], error["message"]) for error in problem["errors"]] == [("cursor", "is not a valid cursor")], query
    assert api.call("GET", "/events", query=f"cursor={cursor}")[0] == 200


def test_a_tenant_never_sees_another_tenant_s_events(api: Api) -> None:
    a_ids = [log(n) for n in range(3)]
    b_id = log(9, tenant="tenant-b")
    assert [item["id"] for item in list_all(api, tenant="tenant-b")] == [b_id]
    assert [item["id"] for item in list_all(api, "type=WebhookCreated", tenant="tenant-b")] == [b_id]
    for event_id in a_ids:
        problem = assert_problem(api.call("GET", f"/events/{event_id}", tenant="tenant-b"), 404)
        assert event_id in problem["detail"]
    assert api.call("GET", f"/events/{a_ids[0]}")[0] == 200


@pytest.mark.parametrize(
    ("query", "field", "reason"),
    [
        ("type=NoSuchType", "type", "unknown event type"),
        (f"since={format_timestamp(T0 + MS)}&until={format_timestamp(T0)}", "until", "must not be before since"),
        ("since=2026-11-29T12:00:00", "since", "with a time zone"),  # no zone
        ("until=0.5", "until", "RFC 3339"),  # a number of seconds is not a time here
        ("since=2026-11-29", "since", "RFC 3339"),  # a date alone
        ("until=yesterday", "until", ""),
        ("limit=0", "limit", ""),
    ],
)
def test_a_bad_query_is_a_422_naming_the_field(api: Api, query: str, field: str, reason: str) -> None:
    problem = assert_problem(api.call("GET", "/events", query=query), 422)
    assert [error["field"] for error in problem["errors"]] == [field], problem
    assert reason in problem["errors"][0]["message"]


@pytest.mark.parametrize("event_id", ["evt_nope", "msg_01M8SZCM1BWHNK40B5XV4HWRT4", "evt_01M8SZCK23P17G0AVDQZTD2P3X"])
def test_an_unknown_or_malformed_event_id_is_a_404(api: Api, event_id: str) -> None:
    assert_problem(api.call("GET", f"/events/{event_id}"), 404)


def test_reading_events_takes_webhooks_read(api: Api) -> None:
    event_id = log(1)
    assert_problem(api.call("GET", "/events", scopes="api-keys:read"), 403)
    assert_problem(api.call("GET", f"/events/{event_id}", scopes="api-keys:read"), 403)
    assert api.call("GET", "/events", scopes="webhooks:read")[0] == 200


# ---------------------------------------------------------------------------- GET /events/{id}


def test_an_event_shows_the_delivery_outcome_at_each_webhook(aws: Any, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch, WEBHOOK_RETRY_SCHEDULE="0s,1h")
    with running_receiver() as receiver, running_pipeline(aws):
        receiver.statuses = [500]
        failing = create_webhook(api, f"{receiver.url}/a", name="a")
        event = webhook_created(webhook_id="wh_x", tenant_id="tenant-a", name="n", url=URL, at=datetime.now(UTC))
        publish(aws, tenant="tenant-a", event_type="WebhookCreated", **event.detail)
        receiver.wait_for(1)
        wait_until(lambda: api.call("GET", f"/events/{event.event_id}")[2]["deliveries"][0]["attempt_count"] == 1)

    status, _, shown = api.call("GET", f"/events/{event.event_id}")
    assert status == 200, shown
    assert shown["id"] == event.event_id and shown["webhook_ids"] == [failing["id"]]
    (outcome,) = shown["deliveries"]
    assert outcome["webhook_id"] == failing["id"]
    assert outcome["delivery_id"] == fanned_out_message_id(
        event_key=event.event_id, webhook_id=failing["id"], occurred_at=event.occurred_at
    )
    assert (outcome["status"], outcome["attempt_count"], outcome["last_status_code"]) == ("pending", 1, 500)
    # The same delivery, by its id, in the webhook's delivery log.
    code, _, delivery = api.call("GET", f"/webhooks/{failing['id']}/deliveries/{outcome['delivery_id']}")
    assert code == 200 and delivery["event_id"] == event.event_id


def test_a_queued_message_not_attempted_yet_shows_as_pending(api: Api) -> None:
    hooks = [create_webhook(api, f"{URL}/{n}") for n in range(2)]
    event = TenantEvent("tenant-a", "WebhookCreated", "bus-1", T0, {"tenantId": "tenant-a"})
    wiring.fan_out_event().execute(event)
    status, _, shown = api.call("GET", f"/events/{logged_event_id('bus-1', T0)}")
    assert status == 200, shown
    assert sorted(outcome["webhook_id"] for outcome in shown["deliveries"]) == sorted(hook["id"] for hook in hooks)
    assert {(o["status"], o["attempt_count"], o["updated_at"]) for o in shown["deliveries"]} == {("pending", 0, None)}
    assert json.dumps(shown)  # plain JSON
