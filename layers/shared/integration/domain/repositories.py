"""Repository interfaces. The infrastructure layer implements them on DynamoDB."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: a function imports the entities it uses, not all of them
    from collections.abc import Sequence
    from datetime import datetime

    from integration.domain.api_key import ApiKey
    from integration.domain.deliveries import Delivery, DeliveryAttempt, DeliveryStatus, TenantEvent, WebhookMessage
    from integration.domain.event_log import LoggedEvent
    from integration.domain.events import DomainEvent, RecordedEvent
    from integration.domain.jobs import Job
    from integration.domain.pagination import Page
    from integration.domain.webhooks import Webhook, WebhookStatus


class ApiKeyRepository(Protocol):
    def add(self, api_key: ApiKey, event: DomainEvent) -> None:
        """Store a new key and record its event, atomically."""

    def get(self, tenant_id: str, api_key_id: str) -> ApiKey | None:
        """The tenant's key, or None (also for another tenant's key)."""

    def list(self, tenant_id: str, *, created_by: str | None, limit: int, cursor: str | None) -> Page[ApiKey]:
        """The tenant's keys, newest first; with ``created_by``, only the keys that credential
        made (from an index: a key made a moment ago may not be listed yet)."""

    def save_revocation(self, api_key: ApiKey, event: DomainEvent) -> bool:
        """Mark the key revoked (key and lookup record) and record the event, atomically.

        Returns False, writing nothing, when the key was already revoked.
        """

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        """One consistent read by the key's hash; None when unknown."""

    def save_update(self, api_key: ApiKey, event: DomainEvent, *, expected: ApiKey) -> bool:
        """Store the key's new name, description, metadata and scopes (key and lookup record)
        and record the event, atomically, if the key is still unrevoked with ``expected``'s
        scopes; else write nothing and return False."""

    def save_roll(self, new_key: ApiKey, previous: ApiKey, event: DomainEvent, *, expected: ApiKey) -> bool:
        """Store ``new_key`` (key and lookup), set ``previous``'s new expiry (key and lookup) and
        record the event, atomically, if the previous key is still unrevoked with ``expected``'s
        expiry; else write nothing and return False."""


class WebhookRepository(Protocol):
    def add(self, webhook: Webhook, event: DomainEvent, *, max_per_tenant: int) -> None:
        """Store a new webhook and record its event, atomically; :class:`LimitExceededError`
        when the tenant already has ``max_per_tenant`` webhooks."""

    def get(self, tenant_id: str, webhook_id: str) -> Webhook | None:
        """The tenant's webhook, or None (also when deleted or another tenant's)."""

    def list(self, tenant_id: str, *, status: WebhookStatus | None, limit: int, cursor: str | None) -> Page[Webhook]:
        """The tenant's webhooks that are not deleted, newest first, optionally of one status."""

    def replace(self, webhook: Webhook, event: DomainEvent, *, expected: Webhook) -> None:
        """Store the new state (``webhook``, with its next version) and record the event,
        atomically, if the webhook is still ``expected``, the state ``webhook`` was computed from
        (its version, and its health mark, which the delivery function changes without a new
        version); else write nothing and raise :class:`WebhookVersionConflict` (``current``: the
        webhook now, None when deleted)."""

    def delete(self, webhook: Webhook, event: DomainEvent) -> None:
        """Soft delete: out of every listing and lookup, its record kept with ``deleted_at``; if
        the webhook is still at ``webhook.version``, else :class:`WebhookVersionConflict`."""

    def active_subscribers(self, tenant_id: str, event_type: str) -> list[str]:
        """Ids of the tenant's active webhooks subscribed to ``event_type`` (or to ``*``)."""

    def mark_failing(self, webhook: Webhook, since: datetime) -> None:
        """One more failed attempt of an active webhook, in one write: its run of failures
        begins at ``since`` unless one has already begun, and its count goes up by one (even
        when attempts fail at the same time). Not a change of what a GET shows: the version
        stays. No-op when the webhook is gone."""

    def mark_recovered(self, webhook: Webhook) -> None:
        """Forget the run of failures and its count (an attempt succeeded). The version stays."""

    def disable(self, webhook: Webhook, event: DomainEvent, *, same_run: bool = True) -> bool:
        """Set an active webhook to disabled (its next version), with the event's ``reason`` as
        its ``disabled_reason``, and record the event, atomically. With ``same_run``, only if it
        is still in the run of failures it was read with (or, read with none, still without
        one). False, writing nothing, when it changed meanwhile (re-enabled, recovered,
        deleted)."""


class DeliveryLog(Protocol):
    """The record of every message sent to a webhook, and its attempts."""

    def add_pending(self, delivery: Delivery, *, expires_at: datetime) -> None:
        """Record a new message before it is queued."""

    def mark_pending(self, delivery: Delivery, now: datetime) -> None:
        """A manual retry is about to be queued: the message is pending again.
        :class:`ConflictError` when it already is."""

    def restore_status(self, delivery: Delivery, now: datetime) -> None:
        """Back to the status ``delivery`` had (the retry could not be queued)."""

    def record_attempt(
        self, message: WebhookMessage, attempt: DeliveryAttempt, status: DeliveryStatus, *, next_attempt_at: datetime | None, expires_at: datetime
    ) -> None:
        """Append one attempt and set the status; creates the record on a fanned-out message's
        first attempt."""

    def mark_dropped(self, message: WebhookMessage, reason: str, now: datetime) -> None:
        """A logged message was not sent (its webhook is disabled): it failed, with ``reason``.
        Writes nothing for a message that has no record yet."""

    def get(self, tenant_id: str, webhook_id: str, message_id: str) -> Delivery | None:
        """The tenant's message to that webhook, or None."""

    def get_many(self, tenant_id: str, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Delivery]:
        """The tenant's logged messages among these ``(webhook id, message id)`` pairs, by pair
        (a pair with no record yet is missing); one BatchGetItem per 100 pairs."""

    def list(
        self,
        tenant_id: str,
        webhook_id: str,
        *,
        status: DeliveryStatus | None,
        limit: int,
        cursor: str | None,
        event_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Page[Delivery]:
        """The webhook's messages, newest first, optionally of one status, one event type, and
        whose event happened from ``since`` to ``until`` (both included). With ``event_type``
        a page may hold fewer than ``limit`` messages and still have a cursor."""

    def failed_in_window(
        self, tenant_id: str, webhook_id: str, *, since: datetime, until: datetime, after: str | None, limit: int
    ) -> list[Delivery]:
        """At most ``limit`` of the webhook's failed messages whose time (their id's) is from
        ``since`` to ``until`` (both included), oldest first, after message id ``after`` (None:
        from the start): what a recover job pages through. One Query (the status index)."""


class EventLog(Protocol):
    """Every event that reached the fan-out for a tenant (see :mod:`integration.domain.event_log`)."""

    def record(self, event: TenantEvent, webhook_ids: Sequence[str], *, expires_at: datetime) -> LoggedEvent:
        """Write the event into its tenant's log (one write, before its messages are queued),
        with the webhooks it is fanned out to. Idempotent: the same event again gives the same
        record, its webhook ids joined to those already there."""

    def add_webhooks(self, tenant_id: str, event_id: str, webhook_ids: Sequence[str]) -> None:
        """Note that the event was (also) sent to these webhooks (replay, recover); no-op when
        the event is no longer in the log."""

    def get(self, tenant_id: str, event_id: str) -> LoggedEvent | None:
        """The tenant's event, or None (also another tenant's, or expired)."""

    def list(
        self, tenant_id: str, *, event_type: str | None, since: datetime | None, until: datetime | None, limit: int, cursor: str | None
    ) -> Page[LoggedEvent]:
        """The tenant's events, newest first, optionally of one type and in a window (both ends
        included); one Query per page, whatever the log's size (by type: from an index)."""

    def read_window(self, tenant_id: str, *, since: datetime, until: datetime, after: str | None, limit: int) -> list[LoggedEvent]:
        """At most ``limit`` events of the window, oldest first, after event id ``after`` (None:
        from the start): what a replay job pages through. One Query."""


class JobRepository(Protocol):
    """Recover and replay jobs, and the lock that lets one job per webhook run."""

    def start(self, job: Job, *, lease_until: datetime, now: datetime, expires_at: datetime) -> None:
        """Store a new job and take its webhook's lock, atomically; :class:`JobAlreadyRunning`
        (naming the job) when another job holds the lock and its lease has not expired."""

    def get(self, tenant_id: str, webhook_id: str, job_id: str) -> Job | None:
        """The tenant's job of that webhook, or None."""

    def save(self, job: Job, *, expected_version: int, lease_until: datetime) -> bool:
        """Store the job's progress (``job`` is its next version) and renew its lock's lease,
        atomically, if the job is still at ``expected_version`` and still holds the lock; else
        write nothing and return False (another step got there first, or the lock is gone)."""

    def finish(self, job: Job, *, expected_version: int) -> bool:
        """Store the finished job and release its lock (if it still holds it), atomically, if
        the job is still at ``expected_version``; else write nothing and return False."""


class JobQueue(Protocol):
    def send_step(self, job: Job) -> None:
        """Queue the job's next step."""


class DeliveryQueue(Protocol):
    def send(self, messages: Sequence[WebhookMessage], *, delay_seconds: int) -> set[str]:
        """Queue the first scheduled attempt of each message; the ids of those not queued."""

    def send_manual_retry(self, message: WebhookMessage) -> None:
        """Queue one attempt now that is not retried on failure."""


class EventPublisher(Protocol):
    max_events_per_call: int
    """The most events one call to the bus takes (EventBridge's PutEvents: 10)."""

    def publish(self, events: Sequence[RecordedEvent]) -> set[str]:
        """Publish in order; return the ids of the events that were not published.

        An event that is not published leaves every event after it unpublished too (their ids
        are in the result), so that a retry keeps the order."""


class Outbox(Protocol):
    """The recorded events after the transaction that recorded them: which reached the bus."""

    def mark_published(self, events: Sequence[RecordedEvent], at: datetime) -> None:
        """Record that the bus took these events. Best effort, never raises: an event left
        unmarked is only published again later, with the same ``eventId``."""

    def unpublished(self, *, since: datetime | None = None, until: datetime, limit: int) -> list[RecordedEvent]:
        """Events not marked published that occurred from ``since`` to ``until`` (both
        included), oldest first (by time, then event id), at most ``limit``. Cost O(result),
        never a scan."""

    def recorded(self, tenant_id: str, *, since: datetime) -> list[RecordedEvent]:
        """Every event the tenant's outbox still holds, published or not, that occurred at or
        after ``since``, oldest first."""
