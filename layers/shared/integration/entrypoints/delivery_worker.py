"""Runs a batch of queued webhook attempts side by side and tells SQS which to keep.

Each record is one attempt of one message (its receive count is the attempt number). Records
run in threads, so one slow receiver (up to the 15 s deadline) does not hold up the other nine.
A record whose next attempt is scheduled is hidden for the delay and reported as a batch item
failure, so SQS hands it back when the attempt is due; every other record is done and deleted.
A record that raises is reported too and comes back after the queue's visibility timeout
(:class:`~integration.entrypoints.batch.PartialBatch`).
Each attempt also learns when its message was first queued (SQS's ``SentTimestamp``, which
hiding it does not change): a receiver's Retry-After may not push it past the queue's retention.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from integration.application.deliveries import AttemptResult, DeliveryOutcome
from integration.domain.deliveries import WebhookMessage
from integration.entrypoints.batch import PartialBatch

logger = Logger(child=True)

MAX_WORKERS = 10

# (message, attempt number, manual, when it was first queued if known) -> outcome
Deliver = Callable[[WebhookMessage, int, bool, datetime | None], DeliveryOutcome]


class ReceivedMessages(Protocol):
    """The delivery queue, as its consumer sees it (:class:`~integration.infrastructure.delivery_queue.SqsDeliveryQueue`)."""

    def read(self, body: str) -> tuple[WebhookMessage, bool]:
        """The message and whether it is a manual (one-shot) attempt; ValueError if malformed."""
        ...

    def retry_later(self, receipt_handle: str, seconds: int, *, received_seconds_ago: int = 0) -> None:
        """Hide a received message for ``seconds`` (within SQS's limit, counted from its receive)."""
        ...


def _queued_at(record: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(record["attributes"]["SentTimestamp"]) / 1000, tz=UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None


def process_delivery_batch(event: dict[str, Any], deliver: Deliver, queue: ReceivedMessages) -> tuple[dict[str, Any], list[DeliveryOutcome | None]]:
    """The partial batch response, and each record's outcome (None: malformed, or it raised)."""
    started = time.monotonic()
    batch = PartialBatch.from_queue(event)

    def handle(record: dict[str, Any]) -> DeliveryOutcome | None:
        try:
            message, manual = queue.read(record["body"])
        except ValueError as error:
            logger.error("malformed delivery message dropped", sqs_message_id=record.get("messageId"), error=str(error))
            return None
        attempt_number = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        log = {"message_id": message.id, "webhook_id": message.webhook_id, "tenant_id": message.tenant_id, "attempt": attempt_number}
        try:
            outcome = deliver(message, attempt_number, manual, _queued_at(record))
        except Exception:
            logger.exception("delivery attempt could not be handled; SQS will hand it back", **log)
            batch.report(record)
            return None
        if outcome.result is AttemptResult.DROPPED:
            logger.info("message dropped", reason=outcome.reason, **log)
            return outcome
        logger.info("delivery attempt", outcome=outcome.result.value, status_code=outcome.status_code, retry_in=outcome.retry_in, **log)
        if outcome.disabled_webhook:
            logger.warning("webhook disabled", reason=outcome.reason, **log)
        if outcome.result is not AttemptResult.RETRY or outcome.retry_in is None:
            return outcome
        # SQS counts the 12 h visibility limit from this receive.
        elapsed = math.ceil(time.monotonic() - started) + 1
        try:
            queue.retry_later(record["receiptHandle"], outcome.retry_in, received_seconds_ago=elapsed)
        except Exception:  # the message still comes back, after the queue's visibility timeout
            logger.exception("could not schedule the next attempt", **log)
        batch.report(record)
        return outcome

    outcomes = batch.each(handle, workers=MAX_WORKERS)
    return batch.response(), outcomes
