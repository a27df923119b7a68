"""Relaying recorded domain events from the outbox to the event bus."""

from __future__ import annotations

from collections.abc import Sequence

from integration.domain.events import RecordedEvent
from integration.domain.repositories import EventPublisher


class RelayOutboxEventsUseCase:
    """Publish a batch of recorded events in order, keeping the order of each aggregate.

    Events go out in rounds, each a prefix of what is left: a round ends before the first event
    whose aggregate it already holds (the bus does not keep the order of one call's entries), or
    when it fills one call to the bus. Rounds go one after another, so when an event cannot be
    published, no later event of the batch has been published before it.
    """

    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

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
            if unpublished:
                return position + next(index for index, event in enumerate(round_) if event.event_id in unpublished)
            position += len(round_)
        return None
