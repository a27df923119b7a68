"""Optimistic concurrency on webhooks, through the real handlers on moto: ETag on GET and PUT,
If-Match on PUT and DELETE (412, nothing written), and no lost update between concurrent PUTs,
secret rotations and the delivery function's writes (threads, and races injected just before a
write with a botocore ``before-call`` hook on the functions' DynamoDB client)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from integration import wiring
from integration.application import webhooks as webhook_use_cases
from integration.domain.events import webhook_disabled
from integration.domain.webhooks import WebhookStatus
from integration.infrastructure.aws import dynamodb_client
from local_runtime.template import Template
from tests.conftest import Api, moto_requests_one_at_a_time
from tests.integration.helpers import assert_problem, create_webhook, items, outbox

BODY: dict[str, Any] = {"name": "orders", "url": "https://example.com/hooks/orders", "events": ["WebhookCreated"]}
FIELDS = ("name", "url", "events", "description", "status")

_deserializer = TypeDeserializer()


# ------------------------------------------------------------------ helpers


@pytest.fixture
def atomic_requests() -> Iterator[None]:
    """Requests to moto applied one at a time (see ``moto_requests_one_at_a_time``): threads
    still interleave between requests (a GetItem, then the write), the window under test."""
    with moto_requests_one_at_a_time():
        yield


class Callers:
    """Callers that may run at the same time on several threads, each with its own copy of the
    functions, as concurrent requests run in separate Lambda instances.

    Powertools' resolver keeps the event it is resolving in a class attribute (one per
    process; a Lambda instance resolves one event at a time), so here a caller parses its
    request (route, body, headers, principal) while no other caller does: until its first
    DynamoDB request. From there on, which is where the use cases read and write, callers run
    side by side. The client and its exception classes are built on this thread first: neither
    boto3's default session nor a client's ``exceptions`` is safe to first use from two threads
    (two threads could each build their own TransactionCanceledException class)."""

    def __init__(self, template: Template, count: int, *functions: str) -> None:
        self._client = dynamodb_client()
        self._client.exceptions  # noqa: B018  # built now, once
        self._apis = [Api(template) for _ in range(count)]
        for api in self._apis:
            for function in functions:
                api.handler(function)
        self._parsing = threading.Lock()
        self._local = threading.local()
        self._client.meta.events.register("before-call.dynamodb", self._parsed, unique_id="concurrent-callers")

    def _parsed(self, **_: Any) -> None:
        if getattr(self._local, "parsing", False):
            self._local.parsing = False
            self._parsing.release()

    def call(self, index: int, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
        self._parsing.acquire()
        self._local.parsing = True
        try:
            return self._apis[index].call(method, path, **kwargs)
        finally:
            self._parsed()

    def close(self) -> None:
        self._client.meta.events.unregister("before-call.dynamodb", unique_id="concurrent-callers")


@contextmanager
def concurrent_callers(template: Template, count: int, *functions: str) -> Iterator[Callers]:
    callers = Callers(template, count, *functions)
    try:
        yield callers
    finally:
        callers.close()


def put_body(webhook: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {**{name: webhook[name] for name in FIELDS}, **overrides}


def get(api: Api, webhook_id: str) -> tuple[dict[str, Any], str]:
    status, headers, body = api.call("GET", f"/webhooks/{webhook_id}")
    assert status == 200, body
    return body, headers["etag"]


def stored(dynamodb: Any, table_name: str, webhook_id: str, tenant: str = "tenant-a") -> dict[str, Any] | None:
    found = dynamodb.get_item(
        TableName=table_name, Key={"PK": {"S": f"TENANT#{tenant}"}, "SK": {"S": f"WEBHOOK#{webhook_id}"}}
    ).get("Item")
    return None if found is None else {k: _deserializer.deserialize(v) for k, v in found.items()}


def snapshot(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    return sorted(items(dynamodb, table_name), key=lambda item: (item["PK"], item["SK"]))


@contextmanager
def before_write(operation: str, action: Callable[[], None], *, times: int = 1) -> Iterator[list[int]]:
    """Run ``action`` just before the next ``times`` ``operation`` calls (e.g. TransactWriteItems)
    of the functions' DynamoDB client: another writer getting there first. Calls that ``action``
    itself makes are not intercepted. Yields the list of interceptions made."""
    client = dynamodb_client()
    fired: list[int] = []
    inside = threading.local()

    def hook(**_: Any) -> None:
        if getattr(inside, "active", False) or len(fired) >= times:
            return
        inside.active = True
        try:
            fired.append(len(fired))
            action()
        finally:
            inside.active = False

    event = f"before-call.dynamodb.{operation}"
    client.meta.events.register(event, hook, unique_id="webhook-race")
    try:
        yield fired
    finally:
        client.meta.events.unregister(event, unique_id="webhook-race")


def stream_records(table_name: str) -> list[dict[str, Any]]:
    """Every record of the table's stream, in order (NEW_AND_OLD_IMAGES), images as plain values."""
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    arn = boto3.client("dynamodb", region_name="us-east-1").describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    records: list[dict[str, Any]] = []
    while True:
        response = streams.get_records(ShardIterator=iterator, Limit=1000)
        page = response.get("Records", [])
        for record in page:
            images = {
                name: {k: _deserializer.deserialize(v) for k, v in record["dynamodb"][name].items()}
                for name in ("OldImage", "NewImage")
                if name in record["dynamodb"]
            }
            records.append({"eventName": record["eventName"], **images})
        if not page:
            return records
        iterator = response["NextShardIterator"]


def field_changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What a WebhookUpdated should say about a change of the stored item from old to new."""
    return {name: new.get(name) for name in FIELDS if old.get(name) != new.get(name)}


# ------------------------------------------------------------------ ETag and If-Match


def test_get_answers_an_etag_and_a_put_with_it_answers_the_next_one(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    webhook, etag = get(api, created["id"])
    assert etag == '"1"'
    assert stored(dynamodb, table_name, created["id"])["version"] == 1  # type: ignore[index]

    status, headers, updated = api.call(
        "PUT", f"/webhooks/{created['id']}", body=put_body(webhook, name="v2"), headers={"If-Match": etag}
    )

    assert status == 200, updated
    assert updated["name"] == "v2"
    assert headers["etag"] == '"2"'
    assert get(api, created["id"]) == (updated, '"2"')


def test_a_put_with_a_stale_etag_answers_412_and_changes_nothing(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    _, old_etag = get(api, created["id"])
    assert api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, name="v2"))[0] == 200
    before = snapshot(dynamodb, table_name)

    problem = assert_problem(
        api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, name="v3"), headers={"If-Match": old_etag}), 412
    )

    assert "changed" in problem["detail"]
    assert snapshot(dynamodb, table_name) == before
    assert get(api, created["id"])[0]["name"] == "v2"


def test_a_put_that_changes_nothing_keeps_the_etag_and_writes_nothing(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    before = snapshot(dynamodb, table_name)

    status, headers, _ = api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created), headers={"If-Match": '"1"'})

    assert (status, headers["etag"]) == (200, '"1"')
    assert snapshot(dynamodb, table_name) == before


@pytest.mark.parametrize(
    ("if_match", "matches"),
    [
        ("*", True),
        ('"2"', True),
        ('"7", "2"', True),  # a list: any one of them
        (' ,"7" ,, "2", ', True),  # empty list elements and spaces are allowed
        ('"1"', False),
        ('W/"2"', False),  # If-Match compares strongly: a weak tag never matches
        ('"02"', False),
        ('"abc"', False),
        ("", False),
        ("2", False),  # malformed: not quoted
        ('"2', False),
        ('"2" "3"', False),
        ('*, "2"', False),
    ],
)
def test_if_match_on_put(api: Api, dynamodb: Any, table_name: str, if_match: str, matches: bool) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    assert api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, name="v2"))[0] == 200  # version 2
    before = snapshot(dynamodb, table_name)

    response = api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, name="v3"), headers={"If-Match": if_match})

    if matches:
        assert response[0] == 200, response[2]
        assert response[1]["etag"] == '"3"'
    else:
        assert_problem(response, 412)
        assert snapshot(dynamodb, table_name) == before


def test_a_malformed_if_match_says_so(api: Api) -> None:
    created = create_webhook(api, events=["WebhookCreated"])

    problem = assert_problem(
        api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created), headers={"If-Match": "1"}), 412
    )

    assert "If-Match" in problem["detail"] and "quotes" in problem["detail"]


def test_if_match_on_a_missing_webhook_answers_404(api: Api) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    assert api.call("DELETE", f"/webhooks/{created['id']}")[0] == 204

    for if_match in ("*", '"1"', "garbage"):
        assert_problem(api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created), headers={"If-Match": if_match}), 404)
        assert_problem(api.call("DELETE", f"/webhooks/{created['id']}", headers={"If-Match": if_match}), 404)


def test_delete_honours_if_match(api: Api, dynamodb: Any, table_name: str) -> None:
    first, second = create_webhook(api, events=["WebhookCreated"]), create_webhook(api, events=["WebhookCreated"])
    assert api.call("PUT", f"/webhooks/{first['id']}", body=put_body(first, name="v2"))[0] == 200
    before = snapshot(dynamodb, table_name)

    assert_problem(api.call("DELETE", f"/webhooks/{first['id']}", headers={"If-Match": '"1"'}), 412)
    assert_problem(api.call("DELETE", f"/webhooks/{first['id']}", headers={"If-Match": "2"}), 412)
    assert snapshot(dynamodb, table_name) == before

    assert api.call("DELETE", f"/webhooks/{first['id']}", headers={"If-Match": '"2"'})[0] == 204
    assert api.call("DELETE", f"/webhooks/{second['id']}", headers={"If-Match": "*"})[0] == 204
    assert stored(dynamodb, table_name, first["id"]) is None and stored(dynamodb, table_name, second["id"]) is None
    assert len(outbox(dynamodb, table_name, "WebhookDeleted")) == 2


def test_the_etag_changes_with_everything_a_get_shows_and_only_then(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    repository = wiring.webhook_repository()
    webhook = repository.get("tenant-a", created["id"])
    assert webhook is not None

    # Health marks are delivery state, not settings (failing_since is shown as health): the ETag stays.
    repository.mark_failing(webhook, datetime(2030, 1, 1, tzinfo=UTC))
    assert get(api, created["id"])[1] == '"1"'
    repository.mark_recovered(webhook)
    assert get(api, created["id"])[1] == '"1"'

    # A rotation changes updated_at: a new ETag.
    assert api.call("POST", f"/webhooks/{created['id']}/rotate-secret")[0] == 200
    rotated, etag = get(api, created["id"])
    assert etag == '"2"' and rotated["updated_at"] > created["updated_at"]

    # The delivery function disabling it: a new ETag.
    since = datetime(2030, 1, 1, tzinfo=UTC)
    repository.mark_failing(webhook, since)
    failing = repository.get("tenant-a", created["id"])
    assert failing is not None and failing.version == 2
    event = webhook_disabled(webhook_id=failing.id, tenant_id="tenant-a", failing_since=since, at=datetime.now(UTC))
    assert repository.disable(failing, event)
    disabled, etag = get(api, created["id"])
    assert (disabled["status"], etag) == ("disabled", '"3"')


# ------------------------------------------------------------------ no lost update


@pytest.mark.usefixtures("atomic_requests")
def test_concurrent_puts_never_lose_an_update(api: Api, template: Template, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    threads = 8
    # Every PUT changes the name; the description only when the previous writer had the other
    # parity, so each WebhookUpdated's changes depend on which PUT came before it.
    bodies = [put_body(created, name=f"name-{i}", description=f"parity-{i % 2}") for i in range(threads)]
    start = threading.Barrier(threads)

    with concurrent_callers(template, threads, "UpdateWebhookFunction") as callers:

        def put(i: int) -> tuple[int, dict[str, str], Any]:
            start.wait()
            return callers.call(i, "PUT", f"/webhooks/{created['id']}", body=bodies[i])

        with ThreadPoolExecutor(max_workers=threads) as pool:
            responses = list(pool.map(put, range(threads)))

    assert [status for status, _, _ in responses] == [200] * threads, responses
    assert sorted(int(headers["etag"].strip('"')) for _, headers, _ in responses) == list(range(2, threads + 2))
    final = stored(dynamodb, table_name, created["id"])
    assert final is not None and final["version"] == 1 + threads
    events = outbox(dynamodb, table_name, "WebhookUpdated")
    assert len(events) == threads
    assert sorted(event["detail"]["changes"]["name"] for event in events) == sorted(body["name"] for body in bodies)

    # The chain, from the table's stream: each PUT's write went from version n to n + 1, and
    # its event (written in the same transaction, next in the stream) names exactly what changed.
    records = stream_records(table_name)
    chain = []
    for index, record in enumerate(records):
        if record["eventName"] == "MODIFY" and record["NewImage"]["SK"] == f"WEBHOOK#{created['id']}":
            old, new = record["OldImage"], record["NewImage"]
            assert new["version"] == old["version"] + 1
            event = records[index + 1]["NewImage"]
            assert (event["entity"], event["event_type"]) == ("OutboxEvent", "WebhookUpdated")
            assert json.loads(event["detail"])["changes"] == field_changes(old, new)
            assert new["secret"] == created["secret"]
            chain.append((int(new["version"]), new["name"]))
    assert [version for version, _ in chain] == list(range(2, threads + 2))
    assert final["name"] == chain[-1][1]


@pytest.mark.usefixtures("atomic_requests")
def test_concurrent_puts_and_rotations_keep_every_secret_and_every_change(
    api: Api, template: Template, dynamodb: Any, table_name: str
) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    puts, rotations = 4, 3
    start = threading.Barrier(puts + rotations)

    with concurrent_callers(template, puts + rotations, "UpdateWebhookFunction", "RotateWebhookSecretFunction") as callers:

        def put(i: int) -> tuple[int, dict[str, str], Any]:
            start.wait()
            return callers.call(i, "PUT", f"/webhooks/{created['id']}", body=put_body(created, name=f"name-{i}"))

        def rotate(i: int) -> tuple[int, dict[str, str], Any]:
            start.wait()
            return callers.call(puts + i, "POST", f"/webhooks/{created['id']}/rotate-secret")

        with ThreadPoolExecutor(max_workers=puts + rotations) as pool:
            put_futures = [pool.submit(put, i) for i in range(puts)]
            rotate_futures = [pool.submit(rotate, i) for i in range(rotations)]
            put_responses = [future.result() for future in put_futures]
            rotate_responses = [future.result() for future in rotate_futures]

    assert [response[0] for response in put_responses + rotate_responses] == [200] * (puts + rotations)
    final = stored(dynamodb, table_name, created["id"])
    assert final is not None and final["version"] == 1 + puts + rotations
    assert final["name"] in {f"name-{i}" for i in range(puts)}
    # The rotations chained: each one's new secret became the next one's previous secret.
    new_secrets = [body["secret"] for _, _, body in rotate_responses]
    secrets = [
        (record["OldImage"]["secret"], record["NewImage"]["secret"])
        for record in stream_records(table_name)
        if record["eventName"] == "MODIFY" and record["NewImage"]["SK"] == f"WEBHOOK#{created['id']}"
    ]
    changed = [(old, new) for old, new in secrets if old != new]
    assert [old for old, _ in changed] == [created["secret"], *[new for _, new in changed][:-1]]
    assert sorted(new for _, new in changed) == sorted(new_secrets)
    assert final["secret"] == changed[-1][1] and final["previous_secret"] == changed[-1][0]
    assert len(outbox(dynamodb, table_name, "WebhookUpdated")) == puts
    assert len(outbox(dynamodb, table_name, "WebhookSecretRotated")) == rotations


def test_a_put_racing_a_rotation_keeps_the_rotated_secret(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    rotated: list[dict[str, Any]] = []

    def rotate() -> None:
        status, _, body = api.call("POST", f"/webhooks/{created['id']}/rotate-secret")
        assert status == 200, body
        rotated.append(body)

    with before_write("TransactWriteItems", rotate) as fired:
        status, headers, body = api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, name="renamed"))

    assert fired == [0]
    assert status == 200, body
    assert (body["name"], headers["etag"]) == ("renamed", '"3"')
    item = stored(dynamodb, table_name, created["id"])
    assert item is not None
    assert (item["secret"], item["previous_secret"]) == (rotated[0]["secret"], created["secret"])
    assert (item["name"], item["version"]) == ("renamed", 3)
    (updated,) = outbox(dynamodb, table_name, "WebhookUpdated")
    assert updated["detail"]["changes"] == {"name": "renamed"}
    assert len(outbox(dynamodb, table_name, "WebhookSecretRotated")) == 1


def test_a_put_with_if_match_racing_another_write_answers_412_and_writes_nothing(
    api: Api, dynamodb: Any, table_name: str
) -> None:
    created = create_webhook(api, events=["WebhookCreated"])

    def rotate() -> None:
        assert api.call("POST", f"/webhooks/{created['id']}/rotate-secret")[0] == 200

    with before_write("TransactWriteItems", rotate):
        response = api.call(
            "PUT", f"/webhooks/{created['id']}", body=put_body(created, name="renamed"), headers={"If-Match": '"1"'}
        )

    assert_problem(response, 412)
    item = stored(dynamodb, table_name, created["id"])
    assert item is not None and (item["name"], item["version"]) == ("orders", 2)
    assert outbox(dynamodb, table_name, "WebhookUpdated") == []


def _failing(api: Api, webhook_id: str, since: datetime) -> Any:
    repository = wiring.webhook_repository()
    webhook = repository.get("tenant-a", webhook_id)
    assert webhook is not None
    repository.mark_failing(webhook, since)
    failing = repository.get("tenant-a", webhook_id)
    assert failing is not None and failing.failing_since == since
    return failing


def test_a_put_racing_the_delivery_functions_disable_lands_on_top_of_it(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["*"])
    since = datetime(2030, 1, 1, tzinfo=UTC)
    failing = _failing(api, created["id"], since)
    repository = wiring.webhook_repository()
    disabled: list[bool] = []

    def disable() -> None:
        event = webhook_disabled(webhook_id=failing.id, tenant_id="tenant-a", failing_since=since, at=datetime.now(UTC))
        disabled.append(repository.disable(failing, event))

    with before_write("TransactWriteItems", disable):
        status, headers, body = api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, name="renamed"))

    assert disabled == [True]
    assert status == 200, body
    # The PUT says active: applied on top of the disabled webhook, it re-enables it afresh.
    assert (body["status"], headers["etag"]) == ("active", '"3"')
    item = stored(dynamodb, table_name, created["id"])
    assert item is not None
    assert (item["status"], item["version"], item["GSI1PK"]) == ("active", 3, "TENANT#tenant-a#WEBHOOKS#active")
    assert "failing_since" not in item
    assert repository.active_subscribers("tenant-a", "WebhookCreated") == [created["id"]]
    (updated,) = outbox(dynamodb, table_name, "WebhookUpdated")
    assert updated["detail"]["changes"] == {"name": "renamed", "status": "active"}
    assert len(outbox(dynamodb, table_name, "WebhookDisabled")) == 1


def test_the_delivery_functions_disable_after_a_put_lands_on_top_of_it(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["*"])
    since = datetime(2030, 1, 1, tzinfo=UTC)
    failing = _failing(api, created["id"], since)  # read by the delivery function at version 1
    assert api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, name="renamed"))[0] == 200

    event = webhook_disabled(webhook_id=failing.id, tenant_id="tenant-a", failing_since=since, at=datetime.now(UTC))
    assert wiring.webhook_repository().disable(failing, event)

    webhook, etag = get(api, created["id"])
    assert (webhook["name"], webhook["status"], etag) == ("renamed", "disabled", '"3"')
    assert wiring.webhook_repository().active_subscribers("tenant-a", "WebhookCreated") == []


@pytest.mark.parametrize("mark", ["failing", "recovered"])
@pytest.mark.parametrize("if_match", [None, '"1"'])
def test_a_put_racing_a_health_mark_keeps_it(api: Api, dynamodb: Any, table_name: str, mark: str, if_match: str | None) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    repository = wiring.webhook_repository()
    since = datetime(2030, 1, 1, tzinfo=UTC)
    webhook = repository.get("tenant-a", created["id"]) if mark == "failing" else _failing(api, created["id"], since)
    assert webhook is not None

    def health_mark() -> None:
        if mark == "failing":
            repository.mark_failing(webhook, since)
        else:
            repository.mark_recovered(webhook)

    headers = {"If-Match": if_match} if if_match else {}
    with before_write("TransactWriteItems", health_mark) as fired:
        status, response_headers, _ = api.call(
            "PUT", f"/webhooks/{created['id']}", body=put_body(created, name="renamed"), headers=headers
        )

    # The mark is delivery state, no new version (an If-Match still holds); the PUT, which
    # stores the whole item, went again on top of it rather than writing back what it read.
    assert fired == [0]
    assert (status, response_headers["etag"]) == (200, '"2"')
    item = stored(dynamodb, table_name, created["id"])
    assert item is not None and (item["name"], item["version"]) == ("renamed", 2)
    assert item.get("failing_since") == (since.isoformat() if mark == "failing" else None)
    assert item.get("failing_attempts") == (1 if mark == "failing" else None)  # the count too
    (updated,) = outbox(dynamodb, table_name, "WebhookUpdated")
    assert updated["detail"]["changes"] == {"name": "renamed"}


def test_a_put_racing_a_second_failure_keeps_the_count(api: Api, dynamodb: Any, table_name: str) -> None:
    # The run has begun already (failing_since stays as it was): only the count changes under the PUT.
    created = create_webhook(api, events=["WebhookCreated"])
    since = datetime(2030, 1, 1, tzinfo=UTC)
    failing = _failing(api, created["id"], since)
    repository = wiring.webhook_repository()

    with before_write("TransactWriteItems", lambda: repository.mark_failing(failing, datetime(2030, 1, 2, tzinfo=UTC))) as fired:
        status, _, _ = api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, name="renamed"))

    assert fired == [0] and status == 200
    item = stored(dynamodb, table_name, created["id"])
    assert item is not None and (item["name"], item["failing_since"], item["failing_attempts"]) == ("renamed", since.isoformat(), 2)


def test_a_put_that_re_enables_a_webhook_forgets_its_failures(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"], status="disabled")
    _failing(api, created["id"], datetime(2030, 1, 1, tzinfo=UTC))

    status, headers, _ = api.call(
        "PUT", f"/webhooks/{created['id']}", body=put_body(created, status="active"), headers={"If-Match": '"1"'}
    )

    assert (status, headers["etag"]) == (200, '"2"')
    item = stored(dynamodb, table_name, created["id"])
    assert item is not None and "failing_since" not in item and item["status"] == "active"
    assert "failing_attempts" not in item


def test_a_put_racing_a_delete_answers_404_and_records_nothing(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"])

    def delete() -> None:
        assert api.call("DELETE", f"/webhooks/{created['id']}")[0] == 204

    with before_write("TransactWriteItems", delete):
        assert_problem(api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, name="renamed")), 404)

    assert stored(dynamodb, table_name, created["id"]) is None
    assert outbox(dynamodb, table_name, "WebhookUpdated") == []


def test_a_delete_racing_a_put_keeps_the_latest_state_in_its_record(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["WebhookCreated"])

    def put() -> None:
        assert api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, name="renamed"))[0] == 200

    with before_write("TransactWriteItems", put) as fired:
        assert api.call("DELETE", f"/webhooks/{created['id']}")[0] == 204

    assert fired == [0]
    key = {"PK": {"S": "TENANT#tenant-a"}, "SK": {"S": f"DELETEDWEBHOOK#{created['id']}"}}
    tombstone = {k: _deserializer.deserialize(v) for k, v in dynamodb.get_item(TableName=table_name, Key=key)["Item"].items()}
    assert (tombstone["name"], tombstone["version"]) == ("renamed", 2)
    assert stored(dynamodb, table_name, created["id"]) is None
    assert len(outbox(dynamodb, table_name, "WebhookDeleted")) == 1
    assert [item["webhook_count"] for item in items(dynamodb, table_name) if item["SK"] == "QUOTA#WEBHOOKS"] == [0]


def test_a_write_that_keeps_losing_answers_409_and_writes_nothing(
    api: Api, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = create_webhook(api, events=["WebhookCreated"])
    monkeypatch.setattr(webhook_use_cases, "BASE_PAUSE_SECONDS", 0.0)  # no pauses between tries
    attempts = webhook_use_cases.MAX_WRITE_ATTEMPTS

    def rotate() -> None:
        assert api.call("POST", f"/webhooks/{created['id']}/rotate-secret")[0] == 200

    with before_write("TransactWriteItems", rotate, times=attempts) as fired:
        problem = assert_problem(api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, name="renamed")), 409)

    assert len(fired) == attempts
    assert "kept changing" in problem["detail"]
    item = stored(dynamodb, table_name, created["id"])
    assert item is not None and (item["name"], item["version"]) == ("orders", 1 + attempts)
    assert outbox(dynamodb, table_name, "WebhookUpdated") == []


def test_status_and_index_stay_right_through_puts(api: Api, dynamodb: Any, table_name: str) -> None:
    created = create_webhook(api, events=["*"])
    repository = wiring.webhook_repository()

    assert (
        api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, status="disabled"), headers={"If-Match": '"1"'})[0]
        == 200
    )
    item = stored(dynamodb, table_name, created["id"])
    assert (
        item is not None
        and item["GSI1PK"] == "TENANT#tenant-a#WEBHOOKS#disabled"
        and item["GSI1SK"] == f"WEBHOOK#{created['id']}"
    )
    assert repository.active_subscribers("tenant-a", "WebhookCreated") == []
    assert [w["id"] for w in api.call("GET", "/webhooks", query="status=disabled")[2]["items"]] == [created["id"]]

    assert (
        api.call("PUT", f"/webhooks/{created['id']}", body=put_body(created, status="active"), headers={"If-Match": '"2"'})[0]
        == 200
    )
    assert repository.active_subscribers("tenant-a", "WebhookCreated") == [created["id"]]
    assert api.call("GET", "/webhooks", query="status=disabled")[2]["items"] == []
    assert WebhookStatus(stored(dynamodb, table_name, created["id"])["status"]) is WebhookStatus.ACTIVE  # type: ignore[index]
