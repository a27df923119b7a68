"""DynamoDB stream event source mappings, run locally: poll the emulator's stream, filter,
batch, invoke the function, honour partial batch failures and retries like Lambda does.

One batch at a time per shard (ParallelizationFactor 1), as the template's relay runs. When the
emulator fails (a call to DynamoDB, DynamoDB Streams or SQS), the poller logs it, waits (0.5 s,
doubling up to 5 s) and goes on from its checkpoint: records are handled at least once."""

from __future__ import annotations

import json
import threading
from typing import Any

from local_runtime import output
from local_runtime.gateway import Invocable
from local_runtime.queues import POLLER_CLIENT_CONFIG, wait_after_error
from local_runtime.template import StreamSubscription

POLL_INTERVAL_SECONDS = 0.25
RETRY_DELAY_SECONDS = 0.5


def matches(pattern: Any, value: Any) -> bool:
    """EventBridge-style pattern matching, the subset filter criteria here use: nested objects
    whose leaves are lists of allowed exact values."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(key in value and matches(sub, value[key]) for key, sub in pattern.items())
    if isinstance(pattern, list):
        return value in pattern
    return pattern == value


class StreamPoller(threading.Thread):
    def __init__(
        self,
        subscription: StreamSubscription,
        function: Invocable,
        *,
        session: Any,
        table_name: str,
        failure_queue_name: str | None,
    ) -> None:
        super().__init__(name=f"stream-{subscription.function}", daemon=True)
        self._subscription = subscription
        self._function = function
        self._dynamodb = session.client("dynamodb", config=POLLER_CLIENT_CONFIG)
        self._streams = session.client("dynamodbstreams", config=POLLER_CLIENT_CONFIG)
        self._sqs = session.client("sqs", config=POLLER_CLIENT_CONFIG)
        self._table = table_name
        self._failure_queue = failure_queue_name
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        # Like the mapping's checkpoint: the last sequence number handled per shard. Each poll
        # takes a fresh iterator after it (moto, unpatched, replaces a table's stream when it
        # rolls back a cancelled transaction, so a chained NextShardIterator could read a stale copy).
        checkpoints: dict[str, str | None] = {}
        stream_arn: str | None = None
        failures = 0
        while not self._stopping.is_set():
            try:
                if stream_arn is None:
                    stream_arn = self._dynamodb.describe_table(TableName=self._table)["Table"]["LatestStreamArn"]
                    shards = self._streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
                    for shard in shards:
                        checkpoints.setdefault(shard["ShardId"], None)
                self._poll(stream_arn, checkpoints)
                failures = 0
            except Exception as error:  # noqa: BLE001 - the emulator went away or refused: log, back off, go on
                if self._stopping.is_set():
                    return
                failures += 1
                wait_after_error(self._stopping, failures, f"polling the stream of {self._table}", error)
                continue
            self._stopping.wait(POLL_INTERVAL_SECONDS)

    def _poll(self, stream_arn: str, checkpoints: dict[str, str | None]) -> None:
        """One pass over the shards: each shard's next batch after its checkpoint, delivered."""
        for shard_id, checkpoint in checkpoints.items():
            if self._stopping.is_set():
                return
            position = (
                {"ShardIteratorType": "TRIM_HORIZON"}
                if checkpoint is None
                else {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": checkpoint}
            )
            iterator = self._streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard_id, **position)["ShardIterator"]
            batch = self._streams.get_records(ShardIterator=iterator, Limit=self._subscription.batch_size).get("Records", [])
            if not batch:
                continue
            records = [
                {**record, "eventSourceARN": stream_arn}
                for record in batch
                if not self._subscription.filter_patterns or any(matches(p, record) for p in self._subscription.filter_patterns)
            ]
            if records:
                self._deliver(records)
            if self._stopping.is_set():
                return  # the batch may not have been handled: read it again next time
            checkpoints[shard_id] = batch[-1]["dynamodb"]["SequenceNumber"]

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        """Invoke until every record is processed or the retries are spent, as Lambda does."""
        attempts = 0
        while records and not self._stopping.is_set():
            try:
                result = self._function.invoke({"Records": records})
                failed = [item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])]
            except Exception as error:  # noqa: BLE001 - a failed invocation retries the whole batch
                if self._stopping.is_set():
                    return
                output.error(f"local runtime: {self._subscription.function} failed: {error!r}")
                failed = [records[0]["dynamodb"]["SequenceNumber"]]
            if not failed:
                return
            # Resume from the lowest reported sequence number, like the stream checkpoint does.
            sequence_numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
            first = min(sequence_numbers.index(number) for number in failed if number in sequence_numbers)
            records = records[first:]
            attempts += 1
            limit = self._subscription.maximum_retry_attempts
            if 0 <= limit < attempts:
                self._send_to_failure_queue(records)
                return
            self._stopping.wait(RETRY_DELAY_SECONDS)

    def _send_to_failure_queue(self, records: list[dict[str, Any]]) -> None:
        output.error(f"local runtime: {len(records)} stream records sent to the on-failure queue")
        if self._failure_queue is None:
            return
        url = self._sqs.get_queue_url(QueueName=self._failure_queue)["QueueUrl"]
        first, last = records[0]["dynamodb"]["SequenceNumber"], records[-1]["dynamodb"]["SequenceNumber"]
        body = {"DDBStreamBatchInfo": {"startSequenceNumber": first, "endSequenceNumber": last, "batchSize": len(records)}}
        self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
