"""SQS event source mappings, run locally: long-poll the emulator's queue, invoke the function
with the batch as Lambda builds it, delete what was processed.

As Lambda does: a message is deleted when the invocation succeeds, except those the function
reports in ``batchItemFailures`` (only with ``ReportBatchItemFailures``; without it a returned
list is ignored); a failed invocation deletes nothing. Messages left in the queue come back when
their visibility timeout ends (the function may have changed it: that is how it delays a retry,
so the poller never changes visibility itself); the emulator moves a message to the
dead-letter queue after the RedrivePolicy's ``maxReceiveCount`` receives.

Batches run side by side as Lambda's pollers run them: ``concurrency`` pollers per mapping
(``make run``: the mapping's ``ScalingConfig.MaximumConcurrency``, at most
``LOCAL_SQS_CONCURRENCY``, 5 by default, Lambda's initial number of pollers), each receiving a
batch and invoking the function with it, so a batch that takes long (a receiver that hangs) holds
up only its own poller. When the emulator fails, a poller logs it, waits (0.5 s, doubling up to
5 s) and goes on.

Not modelled: batches larger than 10 messages and ``MaximumBatchingWindowInSeconds`` (each
batch is one ReceiveMessage, at most 10 messages), scaling the pollers with the queue's depth.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

from botocore.config import Config

from local_runtime import output
from local_runtime.gateway import Invocable
from local_runtime.resources import REGION
from local_runtime.template import QueueSubscription

WAIT_TIME_SECONDS = 1  # long poll; short, so that stop() takes effect quickly
ERROR_BACKOFF_SECONDS = 0.5  # after the emulator fails; doubled at each failure in a row
MAX_ERROR_BACKOFF_SECONDS = 5.0
MAX_MESSAGES_PER_RECEIVE = 10  # what ReceiveMessage allows
# The pollers' clients give up after a few quick attempts (botocore's DynamoDB default is 10,
# some 25 s): their own backoff takes over, and says so.
POLLER_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3})

# The system attributes Lambda passes on in a record's ``attributes``, when the message has them.
_RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "AWSTraceHeader",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "DeadLetterQueueSourceArn",
)


class BatchFailed(Exception):
    """The function's answer fails the whole batch (as Lambda reads it)."""


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One ReceiveMessage message as a record of Lambda's SQS event."""
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {name: attributes[name] for name in _RECORD_ATTRIBUTES if name in attributes},
        "messageAttributes": {name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    attribute: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute


def failed_message_ids(result: Any, message_ids: list[str]) -> set[str]:
    """The messages a ``ReportBatchItemFailures`` answer keeps in the queue. Raises BatchFailed
    when Lambda would count the whole batch as failed (an item without a known message id)."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    failed = set()
    for item in result["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not identifier or identifier not in message_ids:
            raise BatchFailed(f"batchItemFailures names no message of the batch: {item!r}")
        failed.add(identifier)
    return failed


def backoff(failures: int) -> float:
    """Seconds to wait after ``failures`` failures in a row (at least 1)."""
    return min(MAX_ERROR_BACKOFF_SECONDS, ERROR_BACKOFF_SECONDS * 2 ** (failures - 1))


def wait_after_error(stopping: threading.Event, failures: int, what: str, error: Exception) -> None:
    """A poller's answer to an emulator error, its ``failures``-th in a row: say so, back off."""
    delay = backoff(failures)
    output.error(f"local runtime: {what} failed: {error!r}; again in {delay:g} s")
    stopping.wait(delay)


class QueuePoller(threading.Thread):
    """One SQS event source mapping: ``concurrency`` pollers (this thread and helpers it starts),
    each receiving and invoking one batch at a time. ``join`` waits for all of them."""

    def __init__(
        self, subscription: QueueSubscription, function: Invocable, *, session: Any, queue_url: str, concurrency: int = 1
    ) -> None:
        super().__init__(name=f"queue-{subscription.function}", daemon=True)
        self._subscription = subscription
        self._function = function
        self._sqs = session.client("sqs", config=POLLER_CLIENT_CONFIG)
        self._queue_url = queue_url
        self._concurrency = max(1, concurrency)
        self._stopping = threading.Event()

    @property
    def concurrency(self) -> int:
        return self._concurrency

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        helpers = [
            threading.Thread(target=self._poll, name=f"{self.name}-{number}", daemon=True)
            for number in range(1, self._concurrency)
        ]
        for helper in helpers:
            helper.start()
        self._poll()
        for helper in helpers:
            helper.join()

    def _poll(self) -> None:
        queue_arn: str | None = None
        failures = 0
        while not self._stopping.is_set():
            try:
                if queue_arn is None:
                    attributes = self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])
                    queue_arn = attributes["Attributes"]["QueueArn"]
                messages = self._sqs.receive_message(
                    QueueUrl=self._queue_url,
                    MaxNumberOfMessages=min(self._subscription.batch_size, MAX_MESSAGES_PER_RECEIVE),
                    WaitTimeSeconds=WAIT_TIME_SECONDS,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
                if messages:
                    self._deliver(messages, queue_arn)
                failures = 0
            except Exception as error:  # noqa: BLE001 - the emulator went away or refused: log, back off, go on
                if self._stopping.is_set():
                    return
                failures += 1
                wait_after_error(self._stopping, failures, f"polling {self._queue_url}", error)

    def _deliver(self, messages: list[dict[str, Any]], queue_arn: str) -> None:
        records = [sqs_record(message, queue_arn) for message in messages]
        message_ids = [record["messageId"] for record in records]
        try:
            result = self._function.invoke({"Records": records})
            failed = failed_message_ids(result, message_ids) if self._subscription.report_batch_item_failures else set()
        except Exception as error:  # noqa: BLE001 - a failed invocation leaves the whole batch in the queue
            if not self._stopping.is_set():  # (when stopping, the runtime stopped the instance)
                output.error(f"local runtime: {self._subscription.function} failed: {error!r}")
            return
        done = [record for record in records if record["messageId"] not in failed]
        for start in range(0, len(done), MAX_MESSAGES_PER_RECEIVE):
            chunk = done[start : start + MAX_MESSAGES_PER_RECEIVE]
            entries = [{"Id": str(index), "ReceiptHandle": record["receiptHandle"]} for index, record in enumerate(chunk)]
            response = self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=entries)
            for failure in response.get("Failed", []):
                output.error(f"local runtime: could not delete a message from {self._queue_url}: {failure}")
