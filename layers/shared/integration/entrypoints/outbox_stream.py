"""DynamoDB stream records in: the outbox relay's batch processing, Powertools' DynamoDB Streams
processor with records published together (PutEvents takes ten at a time) rather than one call
per record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from integration.domain.events import RecordedEvent


class EventNotPublishedError(Exception):
    """The event (or one before it in the batch) was not accepted by EventBridge."""


class OutboxStreamProcessor(BatchProcessor):
    """Reads every record (:meth:`record_handler`, with ``read``: an item's image as its event),
    then relays the events read, in order, with ``relay`` (the position of the first event not
    published, or None).

    A record is reported as a batch item failure when it could not be parsed or published, and
    so is every record after it: Lambda then retries the stream from the first of them, and no
    event is published ahead of an earlier one that failed.
    """

    def __init__(
        self, *, relay: Callable[[Sequence[RecordedEvent]], int | None], read: Callable[[dict[str, Any]], RecordedEvent]
    ) -> None:
        super().__init__(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=True)
        self._relay = relay
        self._read = read

    def record_handler(self, record: DynamoDBRecord) -> RecordedEvent:
        return self._read(record.dynamodb.new_image)

    def process(self) -> list[tuple]:
        results = super().process()
        parsed = []
        for status, result, _record in results:
            if status != "success":
                break
            parsed.append(result)
        first_unpublished = self._relay(parsed) if parsed else None
        stop = len(parsed) if first_unpublished is None else first_unpublished
        for position in range(stop, len(results)):
            status, _result, record = results[position]
            if status == "success":
                self._fail(record)
                results[position] = ("fail", "EventNotPublishedError", record)
        return results

    def _fail(self, record: dict[str, Any]) -> None:
        self.success_messages.remove(record)
        error = EventNotPublishedError("not published; retried with the stream")
        data = self._to_batch_type(record=record, event_type=self.event_type, model=self.model)
        self.exceptions.append((type(error), error, None))
        self.fail_messages.append(data)
