"""Every operation of the service as an invocation of its function, with the state it needs made
beforehand (untimed, uncounted), and the AWS calls it should make.

State is made through the service itself: keys by ``CreateApiKeyUseCase``, webhooks through
``POST /webhooks``, deliveries by a test message (``POST /webhooks/{id}/test``) that the delivery
function then sends to a loopback receiver (``tests/webhook_receiver.py``), events for the relay
from the outbox items the changes recorded, and events for the fan-out as the bus rule hands
them to its queue.
"""

from __future__ import annotations

import copy
import json
import math
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.common import PROJECT_ROOT, smoke
from bench.world import ALL_SCOPES, World

# Active webhooks subscribed to the event (three SendMessageBatch calls; two with --smoke), and
# keys and webhooks of the listing tenant (two pages of 20).
FAN_OUT_WEBHOOKS, LISTED = (11, 21) if smoke() else (25, 30)
DELIVERY_BATCH = 10  # records per delivery invocation (the template's BatchSize)


BENCH_IAM_CALLER = {"accessKey": "AKIABENCH", "accountId": "123456789012", "userArn": "arn:aws:iam::123456789012:user/bench"}


@dataclass
class Operation:
    name: str  # as the README names it: "GET /api-keys/{id}", "authorizer (key's first use)", ...
    function: str  # logical id
    prepare: Callable[[], dict[str, Any]]  # makes what it needs; returns the event
    expected: dict[str, int]  # AWS operation -> at most this many calls (anything else: a miss)
    target: str  # the target as the issue words it
    check: Callable[[Any], bool] = lambda response: True
    kind: str = "api"  # api, authorizer, relay, fan-out, delivery
    note: str = ""
    units: int = 1  # messages or events one invocation handles (for per-unit figures)
    informative: bool = False  # the issue sets no target: the count is shown, not judged

    def verdict(self, counts: Counter[str]) -> bool:
        """Every call is one the target allows, no more often (an SQS send counts as one whether
        it is SendMessage or SendMessageBatch)."""
        allowed, made = _grouped(Counter(self.expected)), _grouped(counts)
        return all(made[operation] <= allowed.get(operation, 0) for operation in made)


_ALIASES = {"SendMessage": "SendMessageBatch"}


def _grouped(counts: Counter[str]) -> Counter[str]:
    grouped: Counter[str] = Counter()
    for operation, n in counts.items():
        grouped[_ALIASES.get(operation, operation)] += n
    return grouped


def _status(expected: int) -> Callable[[Any], bool]:
    return lambda response: isinstance(response, dict) and response.get("statusCode") == expected


def expected_text(expected: dict[str, int]) -> str:
    if not expected:
        return "no AWS call"
    return ", ".join(f"{n} {operation}" for operation, n in expected.items())


@dataclass
class Scenario:
    """One tenant's worth of state on the world, and the operations over it."""

    world: World
    receiver_url: str
    tenant: str = "bench-ops"
    counter: int = 0
    _pool: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        w = self.world
        self.key_id, self.key = w.create_key(self.tenant, "bench")
        for index in range(LISTED - 1):
            w.create_key(self.tenant, f"listed-{index}")
        self.webhooks = [
            w.create_webhook(self.tenant, self.receiver_url, name=f"hook-{index}") for index in range(FAN_OUT_WEBHOOKS)
        ]
        for index in range(LISTED - FAN_OUT_WEBHOOKS):  # disabled ones: listed, but not fanned out to
            hook = w.create_webhook(self.tenant, self.receiver_url, name=f"off-{index}")
            self._call(
                "PUT",
                f"/webhooks/{hook['id']}",
                200,
                body={"name": hook["name"], "url": self.receiver_url, "events": ["*"], "status": "disabled"},
            )
        self.hook = self.webhooks[0]
        self.delivery_id = self.fresh_delivery()
        self.cursors = {
            "/api-keys": self._call("GET", "/api-keys", 200, query="limit=20")["next_cursor"],
            "/webhooks": self._call("GET", "/webhooks", 200, query="limit=20")["next_cursor"],
        }

    # -------------------------------------------------------------- helpers
    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _call(self, method: str, path: str, status: int, tenant: str | None = None, **kwargs: Any) -> Any:
        code, body = self.world.call(method, path, tenant=tenant or self.tenant, **kwargs)
        if code != status:
            raise RuntimeError(f"{method} {path}: expected {status}, got {code}: {body}")
        return body

    def event(self, method: str, path: str, tenant: str | None = None, **kwargs: Any) -> dict[str, Any]:
        return self.world.request_event(method, path, tenant=tenant or self.tenant, **kwargs)[1]

    def fresh_delivery(self, tenant: str | None = None, hook: dict[str, Any] | None = None) -> str:
        """A delivered (succeeded) message of ``hook``: a test message, sent by the delivery function."""
        hook = hook or self.hook
        delivery = self._call("POST", f"/webhooks/{hook['id']}/test", 202, tenant=tenant)
        records = [
            r for r in self.world.drain("WebhookDeliveryQueue") if json.loads(r["body"]).get("messageId") == delivery["id"]
        ]
        if not records:
            raise RuntimeError("the test message was not queued")
        self.world.invoke("WebhookDeliveryFunction", {"Records": records})
        return delivery["id"]

    def fan_out_event(self, tenant: str | None = None) -> dict[str, Any]:
        """One bus event for the tenant, as the rule puts it on the webhook events queue."""
        from integration.domain.ids import new_id

        sample = json.loads((PROJECT_ROOT / "events" / "webhook_fan_out.json").read_text())
        record = sample["Records"][0]
        envelope = json.loads(record["body"])
        event_id = new_id("evt")
        envelope["id"] = str(uuid.uuid4())
        envelope["time"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        envelope["detail"] = {**envelope["detail"], "tenantId": tenant or self.tenant, "eventId": event_id}
        record = {**record, "messageId": str(uuid.uuid4()), "body": json.dumps(envelope)}
        return {"Records": [record]}

    def delivery_records(self, count: int = DELIVERY_BATCH) -> list[dict[str, Any]]:
        """``count`` fanned-out messages from the delivery queue, as Lambda hands them over."""
        while len(self._pool) < count:
            self.world.invoke("WebhookFanOutFunction", self.fan_out_event())
            self._pool += self.world.drain("WebhookDeliveryQueue")
        records, self._pool = self._pool[:count], self._pool[count:]
        return records

    def relay_event(self, limit: int = 100) -> dict[str, Any]:
        """The stream records of the tenant's outbox items (at most the mapping's batch size)."""
        sample = json.loads((PROJECT_ROOT / "events" / "outbox_relay.json").read_text())["Records"][0]
        items = self.world.dynamodb.query(
            TableName=self.world.table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={":pk": {"S": f"TENANT#{self.tenant}"}, ":prefix": {"S": "OUTBOX#"}},
            Limit=limit,
        )["Items"]
        items.sort(key=lambda item: item.get("occurred_at", {}).get("S", ""))
        records = []
        for index, item in enumerate(items):
            record = copy.deepcopy(sample)
            record["eventID"] = uuid.uuid4().hex
            record["dynamodb"]["Keys"] = {"PK": item["PK"], "SK": item["SK"]}
            record["dynamodb"]["NewImage"] = item
            record["dynamodb"]["SequenceNumber"] = str(10**20 + index)
            records.append(record)
        return {"Records": records}

    @staticmethod
    def relay_expected(event: dict[str, Any]) -> int:
        """The fewest PutEvents calls that keep the stream's order: calls one after another, each
        the next run of records, at most 10 of them and never two events of one aggregate (a call's
        entries arrive in any order). Taking a later record into an earlier call would save calls
        but, when a call fails, Lambda retries from the failed record: the later one would be
        published again after its aggregate's next event."""
        calls, aggregates = 0, set()
        for record in event["Records"]:
            aggregate = record["dynamodb"]["NewImage"]["aggregate_id"]["S"]
            if not calls or aggregate in aggregates or len(aggregates) == 10:
                calls, aggregates = calls + 1, set()
            aggregates.add(aggregate)
        return calls

    # -------------------------------------------------------------- the catalogue
    def operations(self) -> list[Operation]:
        w, t = self.world, self.tenant
        hook_id, cursors, delivery = self.hook["id"], self.cursors, self.delivery_id

        def authorizer_first_use() -> dict[str, Any]:
            return w.authorizer_event(w.create_key(t, f"auth-{self._next()}")[1])

        def revoke() -> dict[str, Any]:
            key_id, _ = w.create_key(t, f"revoke-{self._next()}")
            return self.event("POST", f"/api-keys/{key_id}/revoke")

        def create_webhook() -> dict[str, Any]:
            n = self._next()
            return self.event(
                "POST",
                "/webhooks",
                tenant=f"bench-create-{n // 40}",
                body={"name": f"h{n}", "url": self.receiver_url, "events": ["*"]},
            )

        def update_webhook() -> dict[str, Any]:
            body = {"name": f"renamed-{self._next()}", "url": self.receiver_url, "events": ["*"], "status": "active"}
            return self.event("PUT", f"/webhooks/{hook_id}", body=body)

        def delete_webhook() -> dict[str, Any]:
            tenant = f"bench-delete-{self._next()}"
            hook = w.create_webhook(tenant, self.receiver_url)
            return self.event("DELETE", f"/webhooks/{hook['id']}", tenant=tenant)

        retry_hook = self.webhooks[1]

        def retry_delivery() -> dict[str, Any]:
            delivery_id = self.fresh_delivery(hook=retry_hook)
            return self.event("POST", f"/webhooks/{retry_hook['id']}/deliveries/{delivery_id}/retry")

        relay = self.relay_event()
        one_read = {"GetItem": 1}
        write = "each write one transaction"

        def get(name: str, function: str, path: str, query: str = "", expected: dict[str, int] | None = None) -> Operation:
            """A GET: one read, or one Query a page when it lists."""
            target = "one Query per page" if "limit=" in query else "one read"
            calls = expected if expected is not None else {"Query": 1} if "limit=" in query else one_read
            return Operation(name, function, lambda: self.event("GET", path, query=query), calls, target, _status(200))

        def change(name: str, function: str, prepare: Callable[[], dict[str, Any]], status: int, reads: int = 1) -> Operation:
            """A write: one transaction (after reading what it changes)."""
            calls = {"GetItem": reads, "TransactWriteItems": 1} if reads else {"TransactWriteItems": 1}
            return Operation(name, function, prepare, calls, write, _status(status))
        return [
            Operation(
                "authorizer: a key's first use this minute",
                "AuthorizerFunction",
                authorizer_first_use,
                {"GetItem": 1, "UpdateItem": 2},
                "one read (+ at most 2 `last_used_at` writes a minute per key)",
                lambda r: r.get("isAuthorized") is True,
                kind="authorizer",
            ),
            Operation(
                "authorizer: the same key again within the minute",
                "AuthorizerFunction",
                self._authorizer_reuse,
                one_read,
                "one read",
                lambda r: r.get("isAuthorized") is True,
                kind="authorizer",
            ),
            Operation(
                "POST /api-keys/verify (a platform service; the key used this minute)",
                "VerifyApiKeyFunction",
                self._verify_reuse,
                one_read,
                "one read, as the authorizer",
                lambda r: r.get("statusCode") == 200 and json.loads(r["body"])["code"] == "VALID",
            ),
            get("GET /api-keys/{id}", "GetApiKeyFunction", f"/api-keys/{self.key_id}"),
            get("GET /api-keys (first page of 20)", "ListApiKeysFunction", "/api-keys", "limit=20"),
            get("GET /api-keys (next page, by cursor)", "ListApiKeysFunction", "/api-keys", f"limit=20&cursor={cursors['/api-keys']}"),
            change(
                "POST /api-keys",
                "CreateApiKeyFunction",
                lambda: self.event("POST", "/api-keys", body={"name": f"made-{self._next()}", "scopes": list(ALL_SCOPES)}),
                201,
                reads=0,
            ),
            change("POST /api-keys/{id}/revoke", "RevokeApiKeyFunction", revoke, 200),
            Operation(
                "GET /event-types", "ListEventTypesFunction", lambda: self.event("GET", "/event-types"), {}, "no AWS call", _status(200)
            ),
            get("GET /webhooks (first page of 20)", "ListWebhooksFunction", "/webhooks", "limit=20"),
            get("GET /webhooks (next page, by cursor)", "ListWebhooksFunction", "/webhooks", f"limit=20&cursor={cursors['/webhooks']}"),
            get("GET /webhooks?status=active", "ListWebhooksFunction", "/webhooks", "status=active&limit=20"),
            change("POST /webhooks", "CreateWebhookFunction", create_webhook, 201, reads=0),
            get("GET /webhooks/{id}", "GetWebhookFunction", f"/webhooks/{hook_id}"),
            change("PUT /webhooks/{id}", "UpdateWebhookFunction", update_webhook, 200),
            change("DELETE /webhooks/{id}", "DeleteWebhookFunction", delete_webhook, 204),
            change(
                "POST /webhooks/{id}/rotate-secret",
                "RotateWebhookSecretFunction",
                lambda: self.event("POST", f"/webhooks/{hook_id}/rotate-secret"),
                200,
            ),
            Operation(
                "POST /webhooks/{id}/test",
                "TestWebhookFunction",
                lambda: self.event("POST", f"/webhooks/{hook_id}/test"),
                {"GetItem": 1, "PutItem": 1, "SendMessageBatch": 1},
                write + " (+ the message's one SQS send)",
                _status(202),
                note="the delivery record is written before the message is queued: two services, no transaction spans them",
            ),
            Operation(
                "GET /webhooks/{id}/deliveries",
                "ListWebhookDeliveriesFunction",
                lambda: self.event("GET", f"/webhooks/{hook_id}/deliveries", query="limit=20"),
                {"GetItem": 1, "Query": 1},
                "one Query per page (+ the webhook's GetItem: 404 for an unknown webhook)",
                _status(200),
            ),
            get("GET /events", "ListEventsFunction", "/events", "limit=20"),
            get("GET /webhooks/{id}/deliveries/{deliveryId}", "GetWebhookDeliveryFunction", f"/webhooks/{hook_id}/deliveries/{delivery}"),
            Operation(
                "POST /webhooks/{id}/deliveries/{deliveryId}/retry",
                "RetryWebhookDeliveryFunction",
                retry_delivery,
                {"GetItem": 2, "UpdateItem": 1, "SendMessage": 1},
                write + " (+ the message's one SQS send)",
                _status(202),
                note="reads the webhook (active?) and the delivery (pending?), marks it pending, queues it",
            ),
            Operation(
                f"outbox relay: {len(relay['Records'])} outbox records",
                "OutboxRelayFunction",
                lambda: relay,
                {"PutEvents": self.relay_expected(relay), "UpdateItem": len(relay["Records"])},
                "none set; shown against the fewest calls that keep the stream's order (each call the next run of "
                "records, 10 at most, never two events of one aggregate), and one UpdateItem per event to mark it published",
                lambda r: not r.get("batchItemFailures"),
                kind="relay",
                units=len(relay["Records"]),
                informative=True,
            ),
            Operation(
                f"fan-out: one event to {FAN_OUT_WEBHOOKS} subscribed webhooks",
                "WebhookFanOutFunction",
                self.fan_out_event,
                {"Query": 1, "UpdateItem": 1, "SendMessageBatch": math.ceil(FAN_OUT_WEBHOOKS / 10)},
                "one Query, the event log's one UpdateItem, batched sends (10 a call)",
                lambda r: not r.get("batchItemFailures"),
                kind="fan-out",
                units=FAN_OUT_WEBHOOKS,
            ),
            Operation(
                f"delivery: a batch of {DELIVERY_BATCH} messages, each answered 200",
                "WebhookDeliveryFunction",
                lambda: {"Records": self.delivery_records()},
                {"GetItem": DELIVERY_BATCH, "UpdateItem": DELIVERY_BATCH},
                "per message: the webhook's GetItem and one UpdateItem logging the attempt",
                lambda r: not r.get("batchItemFailures"),
                kind="delivery",
                units=DELIVERY_BATCH,
            ),
        ]

    def _authorizer_reuse(self) -> dict[str, Any]:
        """The key used just before (its ``last_used_at`` is recorded), then its next request."""
        self.world.authorize(self.key)
        return self.world.authorizer_event(self.key)

    def _verify_reuse(self) -> dict[str, Any]:
        """The key used just before, then a platform service verifies it (an IAM caller, as API
        Gateway passes one after checking the SigV4 signature)."""
        self.world.authorize(self.key)
        event = self.event("POST", "/api-keys/verify", body={"key": self.key, "required_scopes": ["webhooks:read"]})
        event["requestContext"]["authorizer"] = {"iam": BENCH_IAM_CALLER}
        return event
