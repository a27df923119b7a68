"""Bulk recover and replay jobs: one webhook's window of messages sent again, one at a time.

A *recover* job sends again every message of a webhook whose delivery failed in a window (by
the message's time, which is its event's). A *replay* job delivers every event of the tenant's
event log in a window that the webhook's filter (or the given types) matches, also events from
before the webhook existed; each keeps the message id fan-out gives it, so receivers
deduplicate. A job runs in steps (one queued message each) that page through their source from
the job's cursor; at most one job per webhook runs at a time (a lock with a lease). What a step
decides about each message it comes to is :mod:`integration.domain.job_steps`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from integration.domain.clock import format_timestamp
from integration.domain.errors import InvalidFieldError
from integration.domain.ids import new_id

JOB_ID_PREFIX = "job"
MAX_CONSECUTIVE_FAILURES = 10  # a job stops after this many failed attempts in a row
STEP_PAGE_SIZE = 50  # messages (or events) one step reads and handles at most
STEP_TIME_RESERVE_MS = 20_000  # a step stops when its function has less time left than this
JOB_LEASE = timedelta(minutes=15)  # the running job's lock expires unless its steps renew it


class JobKind(StrEnum):
    RECOVER = "recover"
    REPLAY = "replay"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


@dataclass(frozen=True)
class EventWindow:
    """A job's window of its log (the delivery log to recover, the event log to replay),
    ``since`` to ``until`` (both included)."""

    since: datetime
    until: datetime

    @classmethod
    def checked(
        cls, since: datetime, until: datetime | None, *, now: datetime, retention: timedelta, log: str = "the event log"
    ) -> EventWindow:
        """The window a tenant asked for; :class:`InvalidFieldError` naming the field when
        ``since`` is older than ``log`` keeps (``now - retention``), in the future, or not
        before ``until``. ``until`` defaults to ``now``; a later one is cut to ``now``."""
        errors: list[tuple[str, str]] = []
        if since < now - retention:
            errors.append(("since", f"is older than {log} keeps ({retention.days} days): use {format_timestamp(now - retention)} or later"))
        if since > now:
            errors.append(("since", "is in the future"))
        end = now if until is None or until > now else until
        if until is not None and until <= since:
            errors.append(("until", "must be after since"))
        InvalidFieldError.raise_if_any(errors)
        return cls(since, end)


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


def stopped_after_failures(count: int) -> str:
    return f"stopped after {count} consecutive failed attempts; the failed messages stay failed: recover again once the endpoint works"


class JobAlreadyRunning(Exception):
    """Raised by :meth:`JobRepository.start`; the use case answers it with a ConflictError."""

    def __init__(self, job_id: str | None) -> None:
        super().__init__(job_id)
        self.job_id = job_id
