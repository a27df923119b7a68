"""One step of a recover or replay job (the job worker): it pages through the job's source from
its cursor and sends each message now, one at a time, in order, with
:class:`DeliverMessageUseCase` as a one-shot attempt (so a job keeps to the endpoint's pace and
to each aggregate's order of occurrence), saving progress after each message; then it queues the
next step, or finishes the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from integration.application.deliveries import AttemptResult
from integration.domain.clock import utc_now
from integration.domain.deliveries import WebhookMessage, fanned_out_message_id
from integration.domain.event_types import WILDCARD
from integration.domain.job_steps import attempt_trigger, skip_reason
from integration.domain.jobs import (
    JOB_LEASE,
    MAX_CONSECUTIVE_FAILURES,
    STEP_PAGE_SIZE,
    STEP_TIME_RESERVE_MS,
    JobCounts,
    JobKind,
    JobStatus,
    stopped_after_failures,
)
from integration.domain.webhooks import WebhookStatus

if TYPE_CHECKING:
    from collections.abc import Callable

    from integration.application.deliveries import DeliverMessageUseCase
    from integration.domain.clock import Clock
    from integration.domain.deliveries import Delivery
    from integration.domain.event_log import LoggedEvent
    from integration.domain.jobs import Job
    from integration.domain.repositories import DeliveryLog, EventLog, JobQueue, JobRepository, WebhookRepository
    from integration.domain.webhooks import Webhook


class StepResult(StrEnum):
    IGNORED = "ignored"  # no such job, finished, or another step saved first
    CONTINUED = "continued"  # the next step is queued
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class _Item:
    """One thing a step handles: the message to send, its log record, and the cursor it leaves."""

    cursor: str
    message: WebhookMessage | None  # None: not the job's (an event the filter does not match)
    event_id: str | None = None  # replay: the logged event, to note the webhook on it


class RunJobStepUseCase:
    """One step of a job: at most a page of its source, or until the function's time runs low."""

    def __init__(
        self,
        webhooks: WebhookRepository,
        log: DeliveryLog,
        events: EventLog | None,
        jobs: JobRepository,
        queue: JobQueue,
        deliver: DeliverMessageUseCase,
        *,
        page_size: int = STEP_PAGE_SIZE,
        max_consecutive_failures: int = MAX_CONSECUTIVE_FAILURES,
        time_reserve_ms: int = STEP_TIME_RESERVE_MS,
        clock: Clock = utc_now,
    ) -> None:
        self._webhooks = webhooks
        self._log = log
        self._events = events
        self._jobs = jobs
        self._queue = queue
        self._deliver = deliver
        self._page_size = page_size
        self._max_failures = max_consecutive_failures
        self._reserve_ms = time_reserve_ms
        self._clock = clock

    def execute(self, tenant_id: str, webhook_id: str, job_id: str, *, remaining_ms: Callable[[], int]) -> StepResult:
        job = self._jobs.get(tenant_id, webhook_id, job_id)
        if job is None or job.status.finished:
            return StepResult.IGNORED
        webhook = self._webhooks.get(tenant_id, webhook_id)
        if webhook is None or webhook.status is not WebhookStatus.ACTIVE:
            return self._finish(job, error=f"stopped: the webhook is {'deleted' if webhook is None else webhook.status.value}")
        if job.status is JobStatus.QUEUED:
            running = job.progressed(self._clock())
            if not self._jobs.save(running, expected_version=job.version, lease_until=self._clock() + JOB_LEASE):
                return StepResult.IGNORED
            job = running
        items = self._page(job, webhook)
        handled = 0
        passed_over = None  # the last event the job does not send, since the last save
        for item in items:
            if item.message is None:  # not the job's: only the cursor moves, saved with the next
                passed_over, handled = item.cursor, handled + 1
                continue
            if handled and remaining_ms() < self._reserve_ms:
                break  # the next step goes on (a step always handles one item: it makes progress)
            saved = self._handle(job, item)
            if saved is None:
                return StepResult.IGNORED  # another step of this job got there first
            job, outcome = saved
            passed_over, handled = None, handled + 1
            if outcome is AttemptResult.DROPPED:
                return self._finish(job, error="stopped: the webhook is no longer active")
            if job.consecutive_failures >= self._max_failures:
                return self._finish(job, error=stopped_after_failures(job.consecutive_failures))
        if passed_over is not None:
            now = self._clock()
            moved = job.progressed(now, cursor=passed_over)
            if not self._jobs.save(moved, expected_version=job.version, lease_until=now + JOB_LEASE):
                return StepResult.IGNORED
            job = moved
        if handled == len(items) and len(items) < self._page_size:
            return self._finish(job, error=None)
        self._queue.send_step(job)  # raises: SQS hands this step back, and it resumes from the cursor
        return StepResult.CONTINUED

    def _page(self, job: Job, webhook: Webhook) -> list[_Item]:
        if job.kind is JobKind.RECOVER:
            deliveries = self._log.failed_in_window(
                job.tenant_id, job.webhook_id, since=job.since, until=job.until, after=job.cursor, limit=self._page_size
            )
            return [_Item(cursor=d.message.id, message=d.message) for d in deliveries]
        if self._events is None:
            raise RuntimeError("a replay job needs the event log")
        wanted = set(job.types) if job.types is not None else set(webhook.events)
        events = self._events.read_window(
            job.tenant_id, since=job.since, until=job.until, after=job.cursor, limit=self._page_size
        )
        return [
            _Item(
                cursor=event.id,
                message=_replayed_message(event, job.webhook_id) if (WILDCARD in wanted or event.event_type in wanted) else None,
                event_id=event.id,
            )
            for event in events
        ]

    def _handle(self, job: Job, item: _Item) -> tuple[Job, AttemptResult | None] | None:
        """Send (or skip) one item and save the job's progress: the job saved and the attempt's
        result (None: not sent); None when the save lost to another step."""
        counts = job.counts
        failures = job.consecutive_failures
        result = None
        if item.message is not None:
            delivery: Delivery | None = self._log.get(job.tenant_id, job.webhook_id, item.message.id)
            if skip_reason(delivery, job_created_at=job.created_at) is not None:
                counts = _add(counts, matched=1, skipped=1)
            else:
                if item.event_id is not None and self._events is not None:
                    self._events.add_webhooks(job.tenant_id, item.event_id, [job.webhook_id])
                message = delivery.message if delivery is not None else item.message
                outcome = self._deliver.execute(message, attempt_number=1, manual=True, trigger=attempt_trigger(job.kind))
                result = outcome.result
                if result is AttemptResult.SUCCEEDED:
                    counts, failures = _add(counts, matched=1, sent=1, succeeded=1), 0
                elif result is AttemptResult.DROPPED:
                    counts = _add(counts, matched=1, skipped=1)
                else:
                    counts, failures = _add(counts, matched=1, sent=1, failed=1), failures + 1
        now = self._clock()
        saved = job.progressed(now, counts=counts, cursor=item.cursor, consecutive_failures=failures)
        if not self._jobs.save(saved, expected_version=job.version, lease_until=now + JOB_LEASE):
            return None
        return saved, result

    def _finish(self, job: Job, *, error: str | None) -> StepResult:
        if not self._jobs.finish(job.finished(self._clock(), error=error), expected_version=job.version):
            return StepResult.IGNORED
        return StepResult.FAILED if error is not None else StepResult.DONE


def _add(counts: JobCounts, **more: int) -> JobCounts:
    return JobCounts(
        **{name: getattr(counts, name) + more.get(name, 0) for name in ("matched", "sent", "succeeded", "failed", "skipped")}
    )


def _replayed_message(event: LoggedEvent, webhook_id: str) -> WebhookMessage:
    """The message fan-out gives this event for this webhook: the same id, so receivers
    deduplicate, whether it reached the webhook before or not."""
    return WebhookMessage(
        id=fanned_out_message_id(event_key=event.source_id, webhook_id=webhook_id, occurred_at=event.occurred_at),
        tenant_id=event.tenant_id,
        webhook_id=webhook_id,
        event_type=event.event_type,
        event_id=event.source_id,
        timestamp=event.occurred_at,
        data=event.data,
    )
