"""Driving the outbox relay on moto: the table's stream as Lambda would deliver it, a consumer
queue behind an EventBridge rule, and PutEvents failures injected at the relay's boto3 client.

Nothing here fakes AWS: records come from moto's DynamoDB stream, events go through moto's
EventBridge to a moto SQS queue, and failures are botocore event hooks on the real client.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from integration import wiring
from integration.infrastructure import eventbridge
from integration.infrastructure.aws import events_client
from local_runtime.resources import Stack
from local_runtime.streams import matches
from local_runtime.template import Template
from tests.conftest import lambda_context, load_function

REGION = "us-east-1"
RELAY_FUNCTION = "OutboxRelayFunction"


def event_id_of(entry: dict[str, Any]) -> str:
    """The domain event id of a PutEvents entry (from its ``Detail``)."""
    return json.loads(entry["Detail"])["eventId"]


def _as_lambda_json(value: Any) -> Any:
    """A stream record as the JSON Lambda delivers: times as epoch seconds, nothing boto3-typed."""

    def default(item: Any) -> Any:
        if isinstance(item, datetime):
            return item.timestamp()
        raise TypeError(f"cannot serialise {type(item).__name__}")

    return json.loads(json.dumps(value, default=default))


def use_relay_environment(stack: Stack, monkeypatch: Any, sleeps: list[float] | None = None) -> list[float]:
    """The relay function's environment (as template.yaml sets it), and a publisher whose retry
    pauses are recorded instead of slept; forgets every cached client and repository."""
    for name, value in stack.function_environment(RELAY_FUNCTION).items():
        monkeypatch.setenv(name, value)
    recorded = [] if sleeps is None else sleeps
    # wiring imports the class when it first builds the publisher: hand it one that does not sleep.
    monkeypatch.setattr(
        eventbridge, "EventBridgePublisher", functools.partial(eventbridge.EventBridgePublisher, sleep=recorded.append)
    )
    wiring.reset()
    return recorded


class StreamReader:
    """The table's stream, read from TRIM_HORIZON; each call returns the records written since.

    Each read takes a new shard iterator after the last sequence number seen, as Lambda's
    checkpoint does. (An iterator kept across a cancelled transaction is stale on moto: moto
    rolls the table back by restoring a copy, and an older iterator still reads the discarded
    shard, with the cancelled writes on it, and never any later write.)
    """

    def __init__(self, table_name: str) -> None:
        self._dynamodb = boto3.client("dynamodb", region_name=REGION)
        self._streams = boto3.client("dynamodbstreams", region_name=REGION)
        self.stream_arn = self._dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        shards = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        assert len(shards) == 1, shards
        self._shard_id = shards[0]["ShardId"]
        self._last_sequence_number: str | None = None

    def _iterator(self) -> str:
        if self._last_sequence_number is None:
            position: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self._last_sequence_number}
        return self._streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=self._shard_id, **position)["ShardIterator"]

    def new_records(self) -> list[dict[str, Any]]:
        """Every record not read yet, as Lambda delivers them (with ``eventSourceARN``)."""
        records: list[dict[str, Any]] = []
        iterator = self._iterator()
        while True:
            response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            iterator = response["NextShardIterator"]
            page = response.get("Records", [])
            records.extend(_as_lambda_json({**record, "eventSourceARN": self.stream_arn}) for record in page)
            if not page:
                break
        if records:
            self._last_sequence_number = records[-1]["dynamodb"]["SequenceNumber"]
        return records


def relay_filter(template: Template) -> Callable[[dict[str, Any]], bool]:
    """The relay's event source mapping filter (FilterCriteria in template.yaml)."""
    (subscription,) = [s for s in template.stream_subscriptions() if s.function == RELAY_FUNCTION]
    assert subscription.filter_patterns, "the relay's mapping has no filter"
    return lambda record: any(matches(pattern, record) for pattern in subscription.filter_patterns)


def sequence_numbers(records: Sequence[dict[str, Any]]) -> list[str]:
    return [record["dynamodb"]["SequenceNumber"] for record in records]


def event_ids(records: Sequence[dict[str, Any]]) -> list[str]:
    return [record["dynamodb"]["NewImage"]["event_id"]["S"] for record in records]


class Consumer:
    """An SQS queue behind a rule on the bus matching the service's events, as a subscriber has."""

    def __init__(self, event_bus_name: str, *, name: str = "relay-consumer", source: str = "integration") -> None:
        self._sqs = boto3.client("sqs", region_name=REGION)
        events = boto3.client("events", region_name=REGION)
        self.queue_url = self._sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=name, EventBusName=event_bus_name, EventPattern=json.dumps({"source": [source]}))
        events.put_targets(Rule=name, EventBusName=event_bus_name, Targets=[{"Id": "queue", "Arn": arn}])
        self.bodies: list[str] = []  # every message ever received, raw, in order

    def receive(self) -> list[dict[str, Any]]:
        """The messages that arrived since the last call, in order, parsed."""
        start = len(self.bodies)
        while True:
            response = self._sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600)
            messages = response.get("Messages", [])
            if not messages:
                return [json.loads(body) for body in self.bodies[start:]]
            for message in messages:
                self.bodies.append(message["Body"])
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def all_received(self) -> list[dict[str, Any]]:
        self.receive()
        return [json.loads(body) for body in self.bodies]

    def received_event_ids(self) -> list[str]:
        return [message["detail"]["eventId"] for message in self.all_received()]


class PutEventsFaults:
    """PutEvents failures injected at a boto3 client with botocore's event hooks.

    - :meth:`throttle`: the next calls fail as a whole with ``ThrottlingException``.
    - :meth:`reject`: an entry (by event id) is not sent and comes back in the response as a
      failed entry (``ErrorCode`` ThrottlingException, ``FailedEntryCount`` counted), as
      EventBridge reports a partial failure.

    ``calls`` logs the event ids of every PutEvents call as the caller made it; ``accepted``
    the event ids EventBridge took, in order.
    """

    _PREFIX = "test-faults"

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[list[str]] = []
        self.accepted: list[str] = []
        self._throttle: int | None = 0  # calls left to throttle; None: every call
        self._throttle_after = 0  # calls to let through before throttling
        self._reject: dict[str, int | None] = {}  # event id -> times left (None: always)
        self._hooks = [
            ("before-parameter-build.events.PutEvents", self._before_parameter_build),
            ("before-call.events.PutEvents", self._before_call),
            ("after-call.events.PutEvents", self._after_call),
        ]
        for event_name, handler in self._hooks:
            client.meta.events.register(event_name, handler, unique_id=f"{self._PREFIX}-{event_name}")

    def throttle(self, calls: int | None = None, *, after: int = 0) -> None:
        """Throttle ``calls`` PutEvents calls (None: all of them until :meth:`heal`), once the
        next ``after`` calls went through."""
        self._throttle, self._throttle_after = calls, after

    def reject(self, event_id: str, times: int | None = None) -> None:
        """Report the entry of ``event_id`` failed the next ``times`` times it is sent (None: always)."""
        self._reject[event_id] = times

    def heal(self) -> None:
        self._throttle, self._throttle_after = 0, 0
        self._reject.clear()

    def remove(self) -> None:
        for event_name, _handler in self._hooks:
            self.client.meta.events.unregister(event_name, unique_id=f"{self._PREFIX}-{event_name}")

    # -- hooks

    def _before_parameter_build(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        entries = params["Entries"]
        ids = [event_id_of(entry) for entry in entries]
        self.calls.append(ids)
        if self._throttle_after > 0:
            self._throttle_after -= 1
        elif self._throttle is None or self._throttle > 0:
            if self._throttle is not None:
                self._throttle -= 1
            context["test_faults_throttled"] = True
            return
        rejected = []
        for position, event_id in enumerate(ids):
            if event_id in self._reject:
                left = self._reject[event_id]
                if left is None or left > 0:
                    rejected.append(position)
                    if left is not None:
                        self._reject[event_id] = left - 1
        context["test_faults_rejected"] = rejected
        context["test_faults_sent_ids"] = [event_id for position, event_id in enumerate(ids) if position not in rejected]
        if len(rejected) == len(entries):
            context["test_faults_all_rejected"] = True  # nothing left to send: answered in before-call
        else:
            params["Entries"] = [entry for position, entry in enumerate(entries) if position not in rejected]

    def _before_call(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if context.get("test_faults_throttled"):
            raise ClientError(
                {
                    "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "PutEvents",
            )
        if context.get("test_faults_all_rejected"):
            response = AWSResponse("https://events.us-east-1.amazonaws.com/", 200, {}, None)
            return response, {"FailedEntryCount": 0, "Entries": [], "ResponseMetadata": {"HTTPStatusCode": 200}}
        return None

    def _after_call(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if "test_faults_rejected" not in context:
            return
        results = parsed.setdefault("Entries", [])
        self.accepted.extend(
            event_id for event_id, result in zip(context["test_faults_sent_ids"], results, strict=True) if "EventId" in result
        )
        for position in context["test_faults_rejected"]:
            results.insert(position, {"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded (injected)"})
            parsed["FailedEntryCount"] = parsed.get("FailedEntryCount", 0) + 1


class Relay:
    """The relay function as Lambda runs it, fed from the table's stream through its filter."""

    def __init__(self, stack: Stack, template: Template, monkeypatch: Any) -> None:
        self.sleeps = use_relay_environment(stack, monkeypatch)
        self.template = template
        self.stream = StreamReader(os.environ["TABLE_NAME"])
        self.is_outbox_record = relay_filter(template)
        self.consumer = Consumer(os.environ["EVENT_BUS_NAME"])
        self.module = load_function("outbox_relay")
        self._faults: PutEventsFaults | None = None

    def cold_start(self) -> None:
        """The relay function starts again: it builds its use case from the environment as it is now."""
        self.module = load_function("outbox_relay")
        self._faults = None

    def faults(self) -> PutEventsFaults:
        """Hooks on the events client the relay uses (built once per process by wiring)."""
        if self._faults is None:
            self._faults = PutEventsFaults(events_client())
        return self._faults

    def outbox_records(self) -> list[dict[str, Any]]:
        """The stream records written since the last read that the relay's filter lets through."""
        return [record for record in self.stream.new_records() if self.is_outbox_record(record)]

    def invoke(self, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
        return self.module.lambda_handler({"Records": list(records)}, lambda_context())

    def drain(self, records: Sequence[dict[str, Any]], attempts: int = 5) -> list[dict[str, Any] | Exception]:
        """Invoke as the event source mapping does until nothing is reported: again from the first
        reported record, or with the whole batch when the invocation failed. Each outcome."""
        pending, outcomes = list(records), []
        for _ in range(attempts):
            try:
                response = self.invoke(pending)
            except Exception as error:  # noqa: BLE001 - a failed invocation: the batch is retried whole
                outcomes.append(error)
                continue
            outcomes.append(response)
            failed = [item["itemIdentifier"] for item in response.get("batchItemFailures", [])]
            if not failed:
                return outcomes
            pending = pending[min(sequence_numbers(pending).index(number) for number in failed) :]
        raise AssertionError(f"records still failing after {attempts} invocations: {outcomes}")
