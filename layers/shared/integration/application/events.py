"""The tenant's event log: list its events, and one event with what became of it per webhook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from integration.domain.deliveries import Delivery, DeliveryStatus, fanned_out_message_id
from integration.domain.errors import InvalidFieldError, NotFoundError
from integration.domain.event_log import EVENT_ID_PREFIX, LoggedEvent
from integration.domain.event_types import EventTypeCatalogue
from integration.domain.ids import is_valid_id
from integration.domain.pagination import Page
from integration.domain.principal import Principal
from integration.domain.repositories import DeliveryLog, EventLog


@dataclass(frozen=True)
class EventDelivery:
    """What became of a logged event at one webhook: its message, and the delivery record
    (None while the message has no attempt yet: it is queued, ``pending``)."""

    webhook_id: str
    message_id: str
    delivery: Delivery | None

    @property
    def status(self) -> DeliveryStatus:
        return DeliveryStatus.PENDING if self.delivery is None else self.delivery.status


@dataclass(frozen=True)
class EventWithDeliveries:
    event: LoggedEvent
    deliveries: tuple[EventDelivery, ...]  # one per webhook the event went to, by webhook id


class ListEventsUseCase:
    def __init__(self, log: EventLog, catalogue: EventTypeCatalogue) -> None:
        self._log = log
        self._catalogue = catalogue

    def execute(
        self,
        principal: Principal,
        *,
        event_type: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> Page[LoggedEvent]:
        """The tenant's events, newest first; :class:`InvalidFieldError` on ``type`` when it is
        not in the catalogue, on ``until`` when it is before ``since``."""
        errors: list[tuple[str, str]] = []
        if event_type is not None and event_type not in self._catalogue:
            errors.append(("type", f"unknown event type {event_type!r}; see the event type catalogue"))
        if since is not None and until is not None and since > until:
            errors.append(("until", "must not be before since"))
        InvalidFieldError.raise_if_any(errors)
        return self._log.list(principal.tenant_id, event_type=event_type, since=since, until=until, limit=limit, cursor=cursor)


class GetEventUseCase:
    """One event of the tenant's log with, per webhook it went to, that message's delivery: one
    GetItem and one BatchGetItem."""

    def __init__(self, log: EventLog, deliveries: DeliveryLog) -> None:
        self._log = log
        self._deliveries = deliveries

    def execute(self, principal: Principal, event_id: str) -> EventWithDeliveries:
        """:class:`NotFoundError` for an unknown id, a malformed one, or another tenant's event."""
        event = self._log.get(principal.tenant_id, event_id) if is_valid_id(event_id, EVENT_ID_PREFIX) else None
        if event is None:
            raise NotFoundError("event", event_id)
        messages = [
            (webhook_id, fanned_out_message_id(event_key=event.source_id, webhook_id=webhook_id, occurred_at=event.occurred_at))
            for webhook_id in sorted(event.webhook_ids)
        ]
        found = self._deliveries.get_many(principal.tenant_id, messages) if messages else {}
        return EventWithDeliveries(
            event,
            tuple(
                EventDelivery(webhook_id, message_id, found.get((webhook_id, message_id))) for webhook_id, message_id in messages
            ),
        )
