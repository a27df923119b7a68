"""Bulk recover and replay jobs: one webhook's window of messages sent again, one at a time.

A *recover* job sends again every message of a webhook whose delivery failed in a window (by
the message's time, which is its event's). A *replay* job delivers every event of the tenant's
event log in a window that the webhook's filter (or the given types) matches, also events from
before the webhook existed; each keeps the message id fan-out gives it, so receivers
deduplicate. A job runs in steps (one queued message each) that page through their source from
the job's cursor; at most one job per webhook runs at a time (a lock with a lease).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from integration.domain.deliveries import MAX_ATTEMPTS_PER_MESSAGE, AttemptTrigger, Delivery, DeliveryStatus
from integration.domain.ids import new_id

JOB_ID_PREFIX = "job"
MAX_CONSECUTIVE_FAILURES = 10  # a job stops after this many failed attempts in a row
STEP_PAGE_SIZE = 50  # messages (or events) one step reads and handles at most
STEP_TIME_RESERVE_MS = 20_000  # a step stops when its function has less time left than this
JOB_LEASE = timedelta(minutes=15)  # the running job's lock expires unless its steps renew it


class JobKind(StrEnum):
    RECOVER = "recover"
    REPLAY = "replay"

    @property
    def trigger(self) -> AttemptTrigger:
        return AttemptTrigger(self.value)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


@dataclass(frozen=True)
class JobCounts:
    matched: int = 0  # messages (events) of the window the job handled
    sent: int = 0  # attempts made
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0  # pending, succeeded since the job began, or out of attempts


@dataclass(frozen=True)
class Job:
    id: str
    tenant_id: str
    webhook_id: str
    kind: JobKind
    status: JobStatus
    since: datetime
    until: datetime
    types: tuple[str, ...] | None
    created_at: datetime
    updated_at: datetime
    counts: JobCounts = field(default_factory=JobCounts)
    cursor: str | None = None  # the last message (event) id handled
    consecutive_failures: int = 0
    version: int = 1
    finished_at: datetime | None = None
    error: str | None = None

    def progressed(self, now: datetime, **changes: object) -> Job:
        """The next version of the job, running, with ``changes``."""
        return replace(self, status=JobStatus.RUNNING, updated_at=now, version=self.version + 1, **changes)  # type: ignore[arg-type]

    def finished(self, now: datetime, *, error: str | None = None) -> Job:
        status = JobStatus.FAILED if error is not None else JobStatus.DONE
        return replace(self, status=status, updated_at=now, finished_at=now, version=self.version + 1, error=error)


def new_job(
    *,
    tenant_id: str,
    webhook_id: str,
    kind: JobKind,
    since: datetime,
    until: datetime,
    types: tuple[str, ...] | None,
    now: datetime,
) -> Job:
    return Job(
        id=new_id(JOB_ID_PREFIX, int(now.timestamp() * 1000)),
        tenant_id=tenant_id,
        webhook_id=webhook_id,
        kind=kind,
        status=JobStatus.QUEUED,
        since=since,
        until=until,
        types=types,
        created_at=now,
        updated_at=now,
    )


def skip_reason(delivery: Delivery | None, *, job_created_at: datetime) -> str | None:
    """Why a job must not send this logged message now (None: send it).

    Pending: an attempt is already scheduled. Succeeded at or after the job began: a step that
    ran again after a crash must not send it twice. Out of attempts: the log record is full."""
    if delivery is None:
        return None
    if delivery.status is DeliveryStatus.PENDING:
        return "pending"
    if delivery.status is DeliveryStatus.SUCCEEDED and any(a.succeeded and a.at >= job_created_at for a in delivery.attempts):
        return "succeeded since the job began"
    if len(delivery.attempts) >= MAX_ATTEMPTS_PER_MESSAGE:
        return f"has {MAX_ATTEMPTS_PER_MESSAGE} attempts"
    return None


def stopped_after_failures(count: int) -> str:
    return f"stopped after {count} consecutive failed attempts; the failed messages stay failed: recover again once the endpoint works"


class JobAlreadyRunning(Exception):
    """Raised by :meth:`JobRepository.start`; the use case answers it with a ConflictError."""

    def __init__(self, job_id: str | None) -> None:
        super().__init__(job_id)
        self.job_id = job_id
