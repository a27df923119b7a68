"""The delivery log's API: list and get a webhook's deliveries, send one again now, and send a
test message. The attempts themselves are in :mod:`integration.application.deliveries`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from integration.application.lookups import tenant_delivery, tenant_webhook
from integration.domain.clock import utc_now
from integration.domain.deliveries import (
    MAX_ATTEMPTS_PER_MESSAGE,
    TEST_EVENT_TYPE,
    Delivery,
    DeliveryStatus,
    new_test_message,
)
from integration.domain.errors import ConflictError, InvalidFieldError
from integration.domain.event_types import WILDCARD
from integration.domain.webhooks import WebhookStatus

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from integration.domain.clock import Clock
    from integration.domain.event_type_schemas import EventTypeSchemas
    from integration.domain.pagination import Page
    from integration.domain.principal import Principal
    from integration.domain.repositories import DeliveryLog, DeliveryQueue, WebhookRepository
    from integration.domain.webhooks import Webhook


def _active_webhook_or_error(webhooks: WebhookRepository, principal: Principal, webhook_id: str, *, action: str) -> Webhook:
    webhook = tenant_webhook(webhooks, principal, webhook_id)
    if webhook.status is not WebhookStatus.ACTIVE:
        raise ConflictError(f"webhook {webhook_id} is {webhook.status.value}; set its status to active before you {action}")
    return webhook


class ListDeliveriesUseCase:
    def __init__(self, webhooks: WebhookRepository, log: DeliveryLog) -> None:
        self._webhooks = webhooks
        self._log = log

    def execute(
        self,
        principal: Principal,
        webhook_id: str,
        *,
        status: DeliveryStatus | None,
        limit: int,
        cursor: str | None,
        event_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Page[Delivery]:
        """``since`` after ``until``: :class:`InvalidFieldError` on ``until``."""
        if since is not None and until is not None and since > until:
            raise InvalidFieldError("until", "must not be before since")
        tenant_webhook(self._webhooks, principal, webhook_id)  # an unknown webhook is a 404, not an empty list
        return self._log.list(
            principal.tenant_id,
            webhook_id,
            status=status,
            limit=limit,
            cursor=cursor,
            event_type=event_type,
            since=since,
            until=until,
        )


class GetDeliveryUseCase:
    def __init__(self, log: DeliveryLog) -> None:
        self._log = log

    def execute(self, principal: Principal, webhook_id: str, delivery_id: str) -> Delivery:
        return tenant_delivery(self._log, principal, webhook_id, delivery_id)


class RetryDeliveryUseCase:
    """Send a logged message again now: one attempt, same ``webhook-id``, not retried itself."""

    def __init__(self, webhooks: WebhookRepository, log: DeliveryLog, queue: DeliveryQueue, clock: Clock = utc_now) -> None:
        self._webhooks = webhooks
        self._log = log
        self._queue = queue
        self._clock = clock

    def execute(self, principal: Principal, webhook_id: str, delivery_id: str) -> Delivery:
        _active_webhook_or_error(self._webhooks, principal, webhook_id, action="retry a delivery")
        delivery = tenant_delivery(self._log, principal, webhook_id, delivery_id)
        if delivery.status is DeliveryStatus.PENDING:
            # Its next attempt is already queued; a second one would race it for the status.
            raise ConflictError(f"delivery {delivery_id} is pending: an attempt is already scheduled; retry it once it has succeeded or failed")
        if len(delivery.attempts) >= MAX_ATTEMPTS_PER_MESSAGE:
            raise ConflictError(f"delivery {delivery_id} already has {MAX_ATTEMPTS_PER_MESSAGE} attempts; it cannot be retried again")
        now = self._clock()
        self._log.mark_pending(delivery, now)
        try:
            self._queue.send_manual_retry(delivery.message)
        except Exception:
            self._log.restore_status(delivery, now)  # else it would stay pending, and unretriable
            raise
        return Delivery(delivery.message, DeliveryStatus.PENDING, delivery.attempts, delivery.created_at, now, next_attempt_at=now)


class SendTestMessageUseCase:
    """A test message to one webhook, now, on the normal schedule: a ``webhook.test`` ping, or a
    sample of any catalogue type (its example as ``data``) whatever the webhook's filter, like
    ``stripe trigger``. Either is marked ``"test": true`` in the body."""

    def __init__(
        self,
        webhooks: WebhookRepository,
        log: DeliveryLog,
        queue: DeliveryQueue,
        log_retention: timedelta,
        schemas: EventTypeSchemas | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._webhooks = webhooks
        self._log = log
        self._queue = queue
        self._log_retention = log_retention
        self._schemas = schemas
        self._clock = clock

    def _sample(self, event_type: str) -> dict[str, Any]:
        """The example ``data`` of ``event_type``; :class:`InvalidFieldError` on ``event_type``."""
        if event_type == WILDCARD:
            raise InvalidFieldError("event_type", "name one event type of the catalogue, not *")
        described = None if self._schemas is None else self._schemas.describe(event_type)
        if described is None:
            raise InvalidFieldError("event_type", f"{event_type!r} is not an event type of the catalogue (GET /event-types)")
        return dict(described.example or {})  # a platform type without a published example: {}

    def execute(self, principal: Principal, webhook_id: str, event_type: str | None = None) -> Delivery:
        """``event_type``: None (or ``webhook.test``) for the ping, else a catalogue type."""
        sample = None if event_type is None or event_type == TEST_EVENT_TYPE else self._sample(event_type)
        webhook = _active_webhook_or_error(self._webhooks, principal, webhook_id, action="send a test message")
        now = self._clock()
        if sample is None:
            message = new_test_message(tenant_id=webhook.tenant_id, webhook_id=webhook.id, now=now)
        else:
            assert event_type is not None
            message = new_test_message(
                tenant_id=webhook.tenant_id, webhook_id=webhook.id, now=now, event_type=event_type, data=sample
            )
        delivery = Delivery(
            message=message,
            status=DeliveryStatus.PENDING,
            attempts=(),
            created_at=now,
            updated_at=now,
            next_attempt_at=now,
        )
        # Logged first, then queued: the attempt can only ever update an existing record.
        self._log.add_pending(delivery, expires_at=now + self._log_retention)
        try:
            if self._queue.send([delivery.message], delay_seconds=0):
                raise RuntimeError("the test message was not queued")
        except Exception:
            self._log.mark_dropped(delivery.message, "not sent: it could not be queued; retry it", now)
            raise
        return delivery
