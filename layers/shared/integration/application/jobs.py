"""Recover and replay jobs: start one (POST .../recover, POST .../replay), read it.

Starting writes the job and its webhook's lock in one transaction, then queues the first step;
the job worker runs the steps (:mod:`integration.application.job_steps`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from integration.application.lookups import tenant_webhook
from integration.domain.clock import utc_now
from integration.domain.errors import ConflictError, InvalidFieldError, NotFoundError
from integration.domain.ids import is_valid_id
from integration.domain.jobs import JOB_ID_PREFIX, JOB_LEASE, EventWindow, JobAlreadyRunning, JobKind, new_job
from integration.domain.webhooks import WEBHOOK_ID_PREFIX, WebhookStatus

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime, timedelta

    from integration.domain.clock import Clock
    from integration.domain.event_types import EventTypeCatalogue
    from integration.domain.jobs import Job
    from integration.domain.principal import Principal
    from integration.domain.repositories import JobQueue, JobRepository, WebhookRepository


class _StartJob:
    def __init__(
        self,
        webhooks: WebhookRepository,
        jobs: JobRepository,
        queue: JobQueue,
        *,
        retention: timedelta,
        job_retention: timedelta,
        clock: Clock = utc_now,
    ) -> None:
        self._webhooks = webhooks
        self._jobs = jobs
        self._queue = queue
        self._retention = retention
        self._job_retention = job_retention
        self._clock = clock

    def _start(
        self,
        principal: Principal,
        webhook_id: str,
        kind: JobKind,
        *,
        since: datetime,
        until: datetime | None,
        types: tuple[str, ...] | None,
    ) -> Job:
        webhook = tenant_webhook(self._webhooks, principal, webhook_id)
        now = self._clock()
        log = "the delivery log" if kind is JobKind.RECOVER else "the event log"
        window = EventWindow.checked(since, until, now=now, retention=self._retention, log=log)
        if webhook.status is not WebhookStatus.ACTIVE:
            raise ConflictError(
                f"webhook {webhook_id} is {webhook.status.value}; set its status to active before you {kind.value} it"
            )
        job = new_job(
            tenant_id=webhook.tenant_id,
            webhook_id=webhook.id,
            kind=kind,
            since=window.since,
            until=window.until,
            types=types,
            now=now,
        )
        try:
            self._jobs.start(job, lease_until=now + JOB_LEASE, now=now, expires_at=now + self._job_retention)
        except JobAlreadyRunning as running:
            raise ConflictError(
                f"webhook {webhook_id} already has a running job {running.job_id}; start another once it is done or failed"
            ) from None
        try:
            self._queue.send_step(job)
        except Exception:
            # Else the job would stay queued, holding the lock, until its lease ran out.
            self._jobs.finish(
                job.finished(self._clock(), error="could not be queued; start it again"), expected_version=job.version
            )
            raise
        return job


class StartRecoverJobUseCase(_StartJob):
    """POST /webhooks/{id}/recover: send again every failed message of a window."""

    def execute(self, principal: Principal, webhook_id: str, *, since: datetime, until: datetime | None) -> Job:
        return self._start(principal, webhook_id, JobKind.RECOVER, since=since, until=until, types=None)


class StartReplayJobUseCase(_StartJob):
    """POST /webhooks/{id}/replay: deliver every logged event of a window that matches."""

    def __init__(
        self,
        webhooks: WebhookRepository,
        jobs: JobRepository,
        queue: JobQueue,
        catalogue: EventTypeCatalogue,
        *,
        retention: timedelta,
        job_retention: timedelta,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(webhooks, jobs, queue, retention=retention, job_retention=job_retention, clock=clock)
        self._catalogue = catalogue

    def execute(
        self, principal: Principal, webhook_id: str, *, since: datetime, until: datetime | None, types: Sequence[str] | None
    ) -> Job:
        chosen = None if types is None else tuple(dict.fromkeys(t.strip() for t in types))
        if chosen is not None:
            unknown = [t for t in chosen if t not in self._catalogue]
            if not chosen:
                raise InvalidFieldError("types", "must name at least one event type (or leave it out: the webhook's own)")
            if unknown:
                raise InvalidFieldError("types", f"unknown event types: {', '.join(unknown)}")
        return self._start(principal, webhook_id, JobKind.REPLAY, since=since, until=until, types=chosen)


class GetJobUseCase:
    def __init__(self, jobs: JobRepository) -> None:
        self._jobs = jobs

    def execute(self, principal: Principal, webhook_id: str, job_id: str) -> Job:
        valid = is_valid_id(webhook_id, WEBHOOK_ID_PREFIX) and is_valid_id(job_id, JOB_ID_PREFIX)
        job = self._jobs.get(principal.tenant_id, webhook_id, job_id) if valid else None
        if job is None:
            raise NotFoundError("job", job_id)
        return job
