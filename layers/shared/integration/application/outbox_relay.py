"""Relaying recorded domain events from the outbox to the event bus, and publishing again
the ones that did not get there (the sweeper, the operator's ``republish``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from integration.domain.clock import utc_now

if TYPE_CHECKING:
    from collections.abc import Sequence

    from integration.domain.clock import Clock
    from integration.domain.events import RecordedEvent
    from integration.domain.repositories import EventPublisher, Outbox


class RelayOutboxEventsUseCase:
    """Publish a batch of recorded events in order, keeping the order of each aggregate.

    Events go out in rounds, each a prefix of what is left: a round ends before the first event
    whose aggregate it already holds (the bus does not keep the order of one call's entries), or
    when it fills one call to the bus. Rounds go one after another, so when an event cannot be
    published, no later event of the batch has been published before it.
    """

    def __init__(self, publisher: EventPublisher, outbox: Outbox, clock: Clock = utc_now) -> None:
        self._publisher = publisher
        self._outbox = outbox
        self._clock = clock

    def execute(self, events: Sequence[RecordedEvent]) -> int | None:
        """The position of the first event not published (it and all after it must be retried),
        or None when every event was published."""
        position = 0
        while position < len(events):
            round_: list[RecordedEvent] = []
            aggregates: set[str] = set()
            for event in events[position:]:
                if event.aggregate_id in aggregates or len(round_) == self._publisher.max_events_per_call:
                    break
                round_.append(event)
                aggregates.add(event.aggregate_id)
            unpublished = self._publisher.publish(round_)
            published = [event for event in round_ if event.event_id not in unpublished]
            self._outbox.mark_published(published, self._clock())
            if unpublished:
                return position + next(index for index, event in enumerate(round_) if event.event_id in unpublished)
            position += len(round_)
        return None


@dataclass(frozen=True)
class RepublishResult:
    republished: int
    """Events the bus took in this run."""
    not_published: int
    """Events found that are still not published (the bus refused one; the rest wait behind it)."""
    oldest_unpublished_age: timedelta
    """How long the oldest event still unpublished after this run has waited (zero: none)."""


class RepublishUnpublishedEventsUseCase:
    """Publish again, in order and with their own ``eventId``, the events the stream relay did
    not get onto the bus: what it gave up on after its retries, or never saw. Run on a schedule
    (the sweeper) for events older than ``older_than``, so that it does not race the stream relay
    on events it is still retrying; and by an operator (``integration-admin republish``).
    """

    def __init__(self, outbox: Outbox, relay: RelayOutboxEventsUseCase, clock: Clock = utc_now) -> None:
        self._outbox = outbox
        self._relay = relay
        self._clock = clock

    def pending(self, *, older_than: timedelta, since: datetime | None = None, limit: int) -> list[RecordedEvent]:
        """The unpublished events that occurred at or after ``since`` and at least ``older_than`` ago."""
        return self._outbox.unpublished(since=since, until=self._clock() - older_than, limit=limit)

    def recorded(self, tenant_id: str, *, since: datetime) -> list[RecordedEvent]:
        """Every event of the tenant's the outbox still holds since ``since``, published or not."""
        return self._outbox.recorded(tenant_id, since=since)

    def execute(self, *, older_than: timedelta, since: datetime | None = None, limit: int = 1000) -> RepublishResult:
        return self.publish(self.pending(older_than=older_than, since=since, limit=limit))

    def publish(self, events: Sequence[RecordedEvent]) -> RepublishResult:
        """Publish ``events`` (oldest first) and report what is left unpublished."""
        first_unpublished = self._relay.execute(events)
        republished = len(events) if first_unpublished is None else first_unpublished
        now = self._clock()
        oldest = self._outbox.unpublished(until=now, limit=1)
        return RepublishResult(
            republished=republished,
            not_published=len(events) - republished,
            oldest_unpublished_age=max(now - oldest[0].occurred_at, timedelta(0)) if oldest else timedelta(0),
        )
