"""Relaying recorded domain events from the outbox to the event bus."""

from __future__ import annotations

from collections.abc import Sequence

from integration.domain.events import RecordedEvent
from integration.domain.repositories import EventPublisher


class RelayOutboxEventsUseCase:
    """Publish a batch of recorded events in order, keeping the order of each aggregate.

    Events go out in rounds that hold at most one event per aggregate, so that when an event
    cannot be published, no later event of its aggregate has been published before it.
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
                if event.aggregate_id in aggregates:
                    break
                round_.append(event)
                aggregates.add(event.aggregate_id)
            unpublished = self._publisher.publish(round_)
            if unpublished:
                return position + next(index for index, event in enumerate(round_) if event.event_id in unpublished)
            position += len(round_)
        return None
