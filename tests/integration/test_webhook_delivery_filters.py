"""GET /webhooks/{id}/deliveries filters on moto: ``event_type`` (a filter on the items read: a
page may be short and still have a cursor), ``since``/``until`` (a key range on the message id,
both ends included, on the table or the status index), cursors bound to every filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integration import wiring
from integration.domain.clock import format_timestamp
from integration.domain.deliveries import AttemptTrigger, DeliveryAttempt, DeliveryStatus, WebhookMessage, fanned_out_message_id
from integration.infrastructure import table
from tests.conftest import Api
from tests.integration.delivery_helpers import use_delivery_environment
from tests.integration.helpers import assert_problem, create_webhook

pytestmark = pytest.mark.usefixtures("aws")

URL = "https://hooks.example.com/in"
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
MS = timedelta(milliseconds=1)


@pytest.fixture(autouse=True)
def _environment(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_delivery_environment(aws, monkeypatch)


def record(
    webhook_id: str,
    n: int,
    *,
    at: datetime | None = None,
    event_type: str = "WebhookCreated",
    status: DeliveryStatus = DeliveryStatus.FAILED,
    tenant: str = "tenant-a",
) -> str:
    """A logged message of event ``n`` (at T0 + n s unless ``at``) with one attempt; its id."""
    occurred_at = at or T0 + timedelta(seconds=n)
    message = WebhookMessage(
        id=fanned_out_message_id(event_key=f"evt_{n}", webhook_id=webhook_id, occurred_at=occurred_at),
        tenant_id=tenant,
        webhook_id=webhook_id,
        event_type=event_type,
        event_id=f"evt_{n}",
        timestamp=occurred_at,
        data={"tenantId": tenant, "n": n},
    )
    code = 200 if status is DeliveryStatus.SUCCEEDED else 500
    attempt = DeliveryAttempt(
        at=occurred_at, trigger=AttemptTrigger.SCHEDULED, status_code=code, duration_ms=5, error=None, response_body=""
    )
    wiring.delivery_log().record_attempt(
        message, attempt, status, next_attempt_at=None, expires_at=occurred_at + timedelta(days=30)
    )
    return message.id


def list_all(api: Api, webhook_id: str, query: str = "", *, limit: int = 2) -> tuple[list[str], list[int]]:
    """Every page's ids, followed by cursors, and each page's size."""
    seen, sizes, cursor = [], [], None
    while True:
        parts = [f"limit={limit}", *([query] if query else []), *([f"cursor={cursor}"] if cursor else [])]
        status, _, page = api.call("GET", f"/webhooks/{webhook_id}/deliveries", query="&".join(parts))
        assert status == 200, page
        assert len(page["items"]) <= limit
        seen += [item["id"] for item in page["items"]]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, sizes


def test_the_event_type_filter_lists_only_that_type_newest_first_across_pages(api: Api) -> None:
    hook = create_webhook(api, URL)
    created = [record(hook["id"], n, event_type="WebhookCreated") for n in range(0, 12, 2)]
    deleted = [record(hook["id"], n, event_type="WebhookDeleted") for n in range(1, 12, 2)]
    assert list_all(api, hook["id"], "event_type=WebhookDeleted")[0] == list(reversed(deleted))
    assert list_all(api, hook["id"], "event_type=WebhookCreated", limit=4)[0] == list(reversed(created))
    assert list_all(api, hook["id"], "event_type=ApiKeyCreated") == ([], [0])


def test_a_sparse_type_filter_stops_after_its_bound_of_queries_with_a_short_page_and_a_cursor(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(table, "MAX_FILTERED_QUERIES", 2)
    monkeypatch.setattr(table, "_FILTERED_QUERY_LIMIT", 1)  # each Query then reads limit + 1 items
    hook = create_webhook(api, URL)
    wanted = [record(hook["id"], 0, event_type="WebhookDeleted")]
    others = [record(hook["id"], n) for n in range(1, 17)]  # newer: read first
    wanted.append(record(hook["id"], 20, event_type="WebhookDeleted"))

    seen, sizes = list_all(api, hook["id"], "event_type=WebhookDeleted", limit=2)
    assert seen == list(reversed(wanted))  # no gap, no duplicate
    assert sizes[0] == 1 and 0 in sizes  # short pages (one empty) that still had a cursor
    assert len(sizes) > 2
    assert list_all(api, hook["id"], limit=4)[0] == [wanted[1], *reversed(others), wanted[0]]


def test_since_and_until_include_both_ends_to_the_millisecond(api: Api) -> None:
    hook = create_webhook(api, URL)
    since, until = T0 + timedelta(seconds=10), T0 + timedelta(seconds=20)
    before = record(hook["id"], 1, at=since - MS)
    at_since = record(hook["id"], 2, at=since, status=DeliveryStatus.SUCCEEDED)
    inside = record(hook["id"], 3, at=since + timedelta(seconds=3), event_type="WebhookDeleted")
    at_until = record(hook["id"], 4, at=until)
    after = record(hook["id"], 5, at=until + MS)
    window = f"since={format_timestamp(since)}&until={format_timestamp(until)}"

    assert list_all(api, hook["id"], window)[0] == [at_until, inside, at_since]
    assert list_all(api, hook["id"], f"since={format_timestamp(since)}")[0] == [after, at_until, inside, at_since]
    assert list_all(api, hook["id"], f"until={format_timestamp(until)}")[0] == [at_until, inside, at_since, before]
    # With the status index, and with the type filter.
    assert list_all(api, hook["id"], f"{window}&status=failed", limit=1)[0] == [at_until, inside]
    assert list_all(api, hook["id"], f"{window}&status=succeeded")[0] == [at_since]
    assert list_all(api, hook["id"], f"{window}&event_type=WebhookCreated", limit=1)[0] == [at_until, at_since]
    assert list_all(api, hook["id"], f"{window}&event_type=WebhookDeleted&status=failed")[0] == [inside]


def test_a_cursor_only_resumes_the_filters_tenant_and_webhook_it_came_from(api: Api) -> None:
    hook = create_webhook(api, URL)
    other = create_webhook(api, f"{URL}/other")
    hook_b = create_webhook(api, URL, tenant="tenant-b")
    for n in range(4):
        record(hook["id"], n)
    path = f"/webhooks/{hook['id']}/deliveries"
    plain = api.call("GET", path, query="limit=1")[2]["next_cursor"]
    typed = api.call("GET", path, query="limit=1&event_type=WebhookCreated")[2]["next_cursor"]
    windowed = api.call("GET", path, query=f"limit=1&since={format_timestamp(T0)}")[2]["next_cursor"]
    assert plain and typed and windowed
    for tenant, where, query in (
        ("tenant-a", path, f"cursor={plain}&event_type=WebhookCreated"),
        ("tenant-a", path, f"cursor={plain}&until={format_timestamp(T0)}"),
        ("tenant-a", path, f"cursor={typed}"),
        ("tenant-a", path, f"cursor={typed}&event_type=WebhookDeleted"),
        ("tenant-a", path, f"cursor={windowed}&since={format_timestamp(T0 + MS)}"),
        ("tenant-a", f"/webhooks/{other['id']}/deliveries", f"cursor={plain}"),
        ("tenant-b", f"/webhooks/{hook_b['id']}/deliveries", f"cursor={plain}"),
    ):
        problem = assert_problem(api.call("GET", where, tenant=tenant, query=query), 422)
        assert [(error["field"], error["message"]) for error in problem["errors"]] == [("cursor", "is not a valid cursor")], query
    assert api.call("GET", path, query=f"cursor={typed}&event_type=WebhookCreated")[0] == 200


def test_another_tenant_s_webhook_deliveries_stay_hidden_whatever_the_filters(api: Api) -> None:
    hook = create_webhook(api, URL)
    record(hook["id"], 1)
    query = f"event_type=WebhookCreated&since={format_timestamp(T0)}"
    assert_problem(api.call("GET", f"/webhooks/{hook['id']}/deliveries", tenant="tenant-b", query=query), 404)


@pytest.mark.parametrize(
    ("query", "field", "reason"),
    [
        (f"since={format_timestamp(T0 + MS)}&until={format_timestamp(T0)}", "until", "must not be before since"),
        ("since=2026-11-29T12:00:00", "since", "with a time zone"),  # no zone
        ("until=0.5", "until", "RFC 3339"),  # a number of seconds is not a time here
        ("since=2026-11-29", "since", "RFC 3339"),  # a date alone
        ("until=soon", "until", ""),
        ("event_type=", "event_type", ""),
    ],
)
def test_a_bad_filter_is_a_422_naming_the_field(api: Api, query: str, field: str, reason: str) -> None:
    hook = create_webhook(api, URL)
    problem = assert_problem(api.call("GET", f"/webhooks/{hook['id']}/deliveries", query=query), 422)
    assert [error["field"] for error in problem["errors"]] == [field], problem
    assert reason in problem["errors"][0]["message"]
