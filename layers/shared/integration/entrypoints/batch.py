"""A batch of SQS messages or DynamoDB stream records and the partial batch response that tells
Lambda which of them to hand back (``ReportBatchItemFailures``).

A queue hands back each reported message (after its visibility timeout, or later if it was
hidden for longer) and deletes the others. A stream retries from the first reported record: so
a stream's records are handled in order (:meth:`PartialBatch.in_order`), and the first that
fails is reported with every record after it.

Every failure is logged with its exception and the record's identifier.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

logger = Logger(child=True)

T = TypeVar("T")
Record = dict[str, Any]


class BatchFailedError(Exception):
    """Every record of the batch was reported: the invocation fails, and Lambda retries the batch
    whole (the first record's error is the cause)."""


class PartialBatch:
    """The records of one invocation (``event["Records"]``) and those reported so far.

    Make one with :meth:`from_queue` (reported by SQS message id) or :meth:`from_stream`
    (reported by the stream record's sequence number)."""

    def __init__(self, event: dict[str, Any], identifier: Callable[[Record], str]) -> None:
        self.records: list[Record] = list(event.get("Records") or [])
        self._identifier = identifier
        self._reported: dict[int, BaseException | None] = {}  # position: why (None: not an error)

    @classmethod
    def from_queue(cls, event: dict[str, Any]) -> PartialBatch:
        """SQS messages, reported by ``messageId``."""
        return cls(event, lambda record: record["messageId"])

    @classmethod
    def from_stream(cls, event: dict[str, Any]) -> PartialBatch:
        """DynamoDB stream records, reported by ``dynamodb.SequenceNumber``."""
        return cls(event, lambda record: record["dynamodb"]["SequenceNumber"])

    @property
    def reported(self) -> int:
        """How many records are reported (to be handed back)."""
        return len(self._reported)

    def each(self, handle: Callable[[Record], T], *, workers: int = 1) -> list[T | None]:
        """``handle(record)`` for every record, in up to ``workers`` threads: each record's
        result, in record order. A record whose ``handle`` raises is logged with the exception
        and reported; its result is None. Never raises."""

        def attempt(position: int) -> T | None:
            try:
                return handle(self.records[position])
            except Exception as error:  # noqa: BLE001 - the record is handed back; the rest go on
                self._fail(position, error, "record failed; handed back")
                return None

        positions = range(len(self.records))
        if workers > 1 and len(self.records) > 1:
            with ThreadPoolExecutor(max_workers=min(workers, len(self.records))) as pool:
                return list(pool.map(attempt, positions))
        return [attempt(position) for position in positions]

    def in_order(self, handle: Callable[[Record], T]) -> list[T]:
        """``handle(record)`` for each record in turn until one raises: the results of the records
        before it. That record is logged with the exception and reported with every record after
        it, which are not handled. Never raises."""
        results: list[T] = []
        for position, record in enumerate(self.records):
            try:
                results.append(handle(record))
            except Exception as error:  # noqa: BLE001 - it and the rest are retried from the stream
                self.report_from(position, error)
                break
        return results

    def report(self, record: Record) -> None:
        """Hand back ``record`` (one of :attr:`records`) although handling it raised nothing: for
        a queue, a message whose next attempt is due later and was hidden until then."""
        position = next(index for index, each in enumerate(self.records) if each is record)
        self._reported.setdefault(position, None)

    def report_from(self, position: int, error: BaseException) -> None:
        """Report the record at ``position`` (logged, with ``error``) and every record after it:
        a stream then retries from that record, and nothing after it gets ahead of it."""
        if position >= len(self.records):
            return
        self._fail(position, error, "record failed; handed back with every record after it", after=len(self.records) - position - 1)
        for later in range(position + 1, len(self.records)):
            self._reported.setdefault(later, None)

    def response(self, *, raise_when_all_failed: bool = False) -> dict[str, Any]:
        """``{"batchItemFailures": [{"itemIdentifier": ...}, ...]}``: the reported records, in
        record order (an empty list: every record is done; so for an empty batch).

        With ``raise_when_all_failed``, a batch whose every record is reported raises
        :class:`BatchFailedError` instead (from the first record's error), so that the
        invocation counts as failed; Lambda retries the whole batch either way."""
        if raise_when_all_failed and self.records and self.reported == len(self.records):
            cause = self._reported[0]
            raise BatchFailedError(f"every record of the batch failed ({len(self.records)}); the first: {cause!r}") from cause
        return {
            "batchItemFailures": [
                {"itemIdentifier": self._identifier(record)} for position, record in enumerate(self.records) if position in self._reported
            ]
        }

    def _fail(self, position: int, error: BaseException, message: str, **extra: Any) -> None:
        self._reported[position] = error
        logger.error(message, item_identifier=self._identifier(self.records[position]), exc_info=error, **extra)
