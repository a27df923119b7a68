"""Webhook delivery use cases: fan an event out, and deliver one attempt (the fan-out and the
delivery function; a job's step sends its messages with the latter). The delivery log's API is
:mod:`integration.application.delivery_log`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from integration.domain.clock import utc_now
from integration.domain.deliveries import (
    MAX_STORED_RESPONSE_CHARS,
    AttemptTrigger,
    DeliveryAttempt,
    DeliveryStatus,
    TenantEvent,
    WebhookMessage,
    fanned_out_message_id,
)
from integration.domain.limits import DEFAULT_DISABLE_AFTER_ATTEMPTS
from integration.domain.retry_schedule import RETRY_AFTER_STATUSES, delay_after_failure, parse_retry_after
from integration.domain.signing import webhook_headers
from integration.domain.webhooks import (
    DISABLED_FAILING,
    DISABLED_GONE,
    Webhook,
    WebhookHealthChange,
    WebhookStatus,
)

if TYPE_CHECKING:  # annotations only: the fan-out and the delivery function run without the API's types
    from collections.abc import Sequence

    from integration.domain.clock import Clock
    from integration.domain.repositories import DeliveryLog, DeliveryQueue, EventLog, WebhookRepository

IMPORTED_ON_FIRST_USE = ("integration.domain.events",)
"""By the attempt that disables a webhook (its ``WebhookDisabled`` event):
:mod:`integration.entrypoints.snapstart` imports it at INIT where INIT runs ahead of any request."""


class HttpAnswer(Protocol):
    status_code: int | None
    duration_ms: int
    response_body: str
    error: str | None
    retry_after: str | None  # the answer's Retry-After header, as sent


class WebhookSender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> HttpAnswer: ...


class FanOutEventUseCase:
    """One event in: recorded in its tenant's event log, then one queued message per active
    webhook of its tenant subscribed to it."""

    def __init__(
        self,
        webhooks: WebhookRepository,
        queue: DeliveryQueue,
        schedule: Sequence[int],
        event_log: EventLog,
        log_retention: timedelta,
        clock: Clock = utc_now,
    ) -> None:
        self._webhooks = webhooks
        self._queue = queue
        self._first_delay = schedule[0]
        self._event_log = event_log
        self._log_retention = log_retention
        self._clock = clock

    def execute(self, event: TenantEvent) -> int:
        """How many messages were queued; :class:`RuntimeError` if SQS refused some (the event is
        then handled again, and the messages already queued get the same ids again).

        The event is logged first (also with no subscriber), with the webhooks it goes to: a
        message is never queued for an event the log does not hold. Logging is idempotent, so
        handling the event again joins the webhook ids to the same record."""
        webhook_ids = self._webhooks.active_subscribers(event.tenant_id, event.event_type)
        self._event_log.record(event, webhook_ids, expires_at=self._clock() + self._log_retention)
        messages = [
            WebhookMessage(
                id=fanned_out_message_id(event_key=event.event_key, webhook_id=webhook_id, occurred_at=event.occurred_at),
                tenant_id=event.tenant_id,
                webhook_id=webhook_id,
                event_type=event.event_type,
                event_id=event.event_key,
                timestamp=event.occurred_at,
                data=event.data,
            )
            for webhook_id in webhook_ids
        ]
        if not messages:
            return 0
        failed = self._queue.send(messages, delay_seconds=self._first_delay)
        if failed:
            raise RuntimeError(f"{len(failed)} of {len(messages)} delivery messages were not queued")
        return len(messages)


class AttemptResult(StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"  # failed; the next attempt is due in ``retry_in`` seconds
    FAILED = "failed"  # failed for good (schedule exhausted, or a manual attempt)
    DROPPED = "dropped"  # the webhook is deleted or disabled: nothing sent


@dataclass(frozen=True)
class DeliveryOutcome:
    result: AttemptResult
    retry_in: int | None = None
    status_code: int | None = None
    reason: str | None = None  # why dropped, or why this attempt disabled the webhook
    disabled_webhook: bool = False  # this failure disabled the webhook


# What this attempt's health change disables the webhook for.
_DISABLING = {WebhookHealthChange.DISABLE: DISABLED_FAILING, WebhookHealthChange.GONE: DISABLED_GONE}


@dataclass(frozen=True)
class DeliverySettings:
    schedule: tuple[int, ...]
    disable_after: timedelta
    log_retention: timedelta
    user_agent: str
    disable_after_attempts: int = DEFAULT_DISABLE_AFTER_ATTEMPTS


class DeliverMessageUseCase:
    """One attempt of one message: sign it afresh, POST it, log it, decide what comes next."""

    def __init__(
        self,
        webhooks: WebhookRepository,
        log: DeliveryLog,
        sender: WebhookSender,
        settings: DeliverySettings,
        clock: Clock = utc_now,
    ) -> None:
        self._webhooks = webhooks
        self._log = log
        self._sender = sender
        self._settings = settings
        self._clock = clock

    def execute(
        self,
        message: WebhookMessage,
        *,
        attempt_number: int,
        manual: bool,
        queued_at: datetime | None = None,
        trigger: AttemptTrigger | None = None,
    ) -> DeliveryOutcome:
        """``queued_at``: when the message was first queued (SQS's SentTimestamp), which bounds
        how far a Retry-After may push its next attempt; None when unknown. ``trigger``: what the
        attempt's log entry names (default: ``manual`` or ``scheduled``); a job's attempts are
        manual (one shot) and name the job's kind."""
        webhook = self._webhooks.get(message.tenant_id, message.webhook_id)
        if webhook is None:
            return DeliveryOutcome(AttemptResult.DROPPED, reason="webhook deleted")
        if webhook.status is not WebhookStatus.ACTIVE:
            reason = f"not sent: the webhook is {webhook.status.value}"
            self._log.mark_dropped(message, reason, self._clock())  # else it would stay pending
            return DeliveryOutcome(AttemptResult.DROPPED, reason=reason)

        now = self._clock()
        body = message.body()
        headers = webhook_headers(
            message_id=message.id,
            timestamp=int(now.timestamp()),
            body=body,
            secrets=webhook.signing_secrets(now),
            user_agent=self._settings.user_agent,
        )
        answer = self._sender.post(webhook.url, body, headers)
        attempt = DeliveryAttempt(
            at=now,
            trigger=trigger or (AttemptTrigger.MANUAL if manual else AttemptTrigger.SCHEDULED),
            status_code=answer.status_code,
            duration_ms=answer.duration_ms,
            error=answer.error,
            response_body=answer.response_body[:MAX_STORED_RESPONSE_CHARS],
        )
        change = webhook.health_after_attempt(
            status_code=attempt.status_code,
            now=now,
            disable_after=self._settings.disable_after,
            disable_after_attempts=self._settings.disable_after_attempts,
        )
        retry_in = None
        if not (attempt.succeeded or manual or change is WebhookHealthChange.GONE):
            retry_after = parse_retry_after(answer.retry_after, now) if attempt.status_code in RETRY_AFTER_STATUSES else None
            age = None if queued_at is None else max(0, int((now - queued_at).total_seconds()))
            retry_in = delay_after_failure(self._settings.schedule, attempt_number, retry_after=retry_after, age=age)
        if attempt.succeeded:
            status, result = DeliveryStatus.SUCCEEDED, AttemptResult.SUCCEEDED
        elif retry_in is not None:
            status, result = DeliveryStatus.PENDING, AttemptResult.RETRY
        else:
            status, result = DeliveryStatus.FAILED, AttemptResult.FAILED
        self._log.record_attempt(
            message,
            attempt,
            status,
            next_attempt_at=None if retry_in is None else now + timedelta(seconds=retry_in),
            expires_at=now + self._settings.log_retention,
        )
        disabled = self._update_health(webhook, change, now=now)
        return DeliveryOutcome(
            result,
            retry_in=retry_in,
            status_code=attempt.status_code,
            reason=_DISABLING[change] if disabled and change is not None else None,
            disabled_webhook=disabled,
        )

    def _update_health(self, webhook: Webhook, change: WebhookHealthChange | None, *, now: datetime) -> bool:
        """One write to the webhook at most; whether it disabled the webhook."""
        if change is WebhookHealthChange.FAILING:
            self._webhooks.mark_failing(webhook, now)
        elif change is WebhookHealthChange.RECOVERED:
            self._webhooks.mark_recovered(webhook)
        elif change in _DISABLING:
            assert change is not None
            from integration.domain.events import webhook_disabled

            event = webhook_disabled(
                webhook_id=webhook.id,
                tenant_id=webhook.tenant_id,
                failing_since=webhook.failing_since or now,
                at=now,
                reason=_DISABLING[change],
            )
            # A 410 is final whatever other attempts did meanwhile; the window rule only holds
            # for the run of failures it was computed from.
            return self._webhooks.disable(webhook, event, same_run=change is not WebhookHealthChange.GONE)
        return False
