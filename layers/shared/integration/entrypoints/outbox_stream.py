"""DynamoDB stream records in: the outbox relay's batch, read in order and published together
(PutEvents takes ten at a time) rather than one call per record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from integration.domain.events import RecordedEvent
from integration.entrypoints.batch import PartialBatch


class EventNotPublishedError(Exception):
    """The event (or one before it in the batch) was not accepted by EventBridge."""


def relay_stream_records(
    event: dict[str, Any],
    *,
    read: Callable[[dict[str, Any]], RecordedEvent],
    relay: Callable[[Sequence[RecordedEvent]], int | None],
) -> PartialBatch:
    """Read each record's new image (typed, as the stream sends it) as its event (``read``; it
    raises if it is not one), in order, until one cannot be read; then publish the events read,
    in order, with ``relay`` (the position of the first event not published, or None). The
    batch, with what to report.

    A record that could not be read or published is reported with every record after it: Lambda
    retries the stream from the first of them, and no event is published ahead of an earlier one
    that failed. ``relay`` raising is not caught: the invocation fails and the batch is retried.
    """
    batch = PartialBatch.from_stream(event)
    events = batch.in_order(lambda record: read(record["dynamodb"].get("NewImage") or {}))
    first_unpublished = relay(events) if events else None
    if first_unpublished is not None:
        batch.report_from(first_unpublished, EventNotPublishedError("not published; retried with the stream"))
    return batch
