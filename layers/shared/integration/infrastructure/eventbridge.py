"""EventBridge out: publishing recorded domain events to the bus within PutEvents' limits.
(Reading a bus event is :mod:`integration.entrypoints.bus_events`.)"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from integration.domain.events import RecordedEvent

logger = Logger(child=True)

MAX_ENTRIES_PER_CALL = 10
MAX_BYTES_PER_CALL = 256 * 1024
# Attempts per chunk inside one invocation; after that the stream's own retries take over.
RETRY_DELAYS_SECONDS = (0.1, 0.5, 2.0)


def entry_size(entry: dict[str, Any]) -> int:
    """PutEvents' size of an entry: Time (14 bytes), Source, DetailType, Detail, Resources."""
    size = 14 if "Time" in entry else 0
    size += sum(len(entry.get(name, "").encode("utf-8")) for name in ("Source", "DetailType", "Detail"))
    return size + sum(len(resource.encode("utf-8")) for resource in entry.get("Resources", []))


def chunks(entries: Sequence[dict[str, Any]]) -> list[list[int]]:
    """Positions of ``entries`` grouped in order into calls of at most 10 entries and 256 KB."""
    groups: list[list[int]] = []
    current: list[int] = []
    current_bytes = 0
    for position, entry in enumerate(entries):
        size = entry_size(entry)
        if current and (len(current) == MAX_ENTRIES_PER_CALL or current_bytes + size > MAX_BYTES_PER_CALL):
            groups.append(current)
            current, current_bytes = [], 0
        current.append(position)
        current_bytes += size
    if current:
        groups.append(current)
    return groups


class EventBridgePublisher:
    """Sends events in order; within a call, only the entries EventBridge rejected are re-sent."""

    max_events_per_call = MAX_ENTRIES_PER_CALL

    def __init__(
        self,
        client: Any,
        *,
        event_bus_name: str,
        source: str,
        sleep: Callable[[float], None] = time.sleep,
        retry_delays: Sequence[float] = RETRY_DELAYS_SECONDS,
    ) -> None:
        self._client = client
        self._bus = event_bus_name
        self._source = source
        self._sleep = sleep
        self._retry_delays = tuple(retry_delays)

    def entry(self, event: RecordedEvent) -> dict[str, Any]:
        return {
            "Source": self._source,
            "DetailType": event.event_type,
            "Detail": event.detail,
            "EventBusName": self._bus,
            "Time": event.occurred_at,
            "Resources": [],
        }

    def publish(self, events: Sequence[RecordedEvent]) -> set[str]:
        entries = [self.entry(event) for event in events]
        for group in chunks(entries):
            unsent = self._send_with_retries([entries[position] for position in group])
            if unsent:
                first_failed = group[min(unsent)]
                return {event.event_id for event in events[first_failed:]}
        return set()

    def _send_with_retries(self, entries: list[dict[str, Any]]) -> set[int]:
        """Positions (in ``entries``) still not accepted after every attempt."""
        pending = list(range(len(entries)))
        for attempt in range(len(self._retry_delays) + 1):
            if attempt:
                self._sleep(self._retry_delays[attempt - 1])
            pending = self._send_once(entries, pending)
            if not pending:
                return set()
        logger.warning("EventBridge did not accept events after retries", unsent=len(pending), attempts=attempt + 1)
        return set(pending)

    def _send_once(self, entries: list[dict[str, Any]], pending: list[int]) -> list[int]:
        try:
            response = self._client.put_events(Entries=[entries[position] for position in pending])
        except (ClientError, BotoCoreError) as error:
            logger.warning("PutEvents failed", error=type(error).__name__, entries=len(pending))
            return pending
        if not response.get("FailedEntryCount"):
            return []
        results = response.get("Entries", [])
        rejected = [position for position, result in zip(pending, results, strict=False) if "ErrorCode" in result or "EventId" not in result]
        codes = sorted({result.get("ErrorCode", "") for result in results if "ErrorCode" in result})
        logger.warning("EventBridge rejected entries", rejected=len(rejected), error_codes=codes)
        return rejected
