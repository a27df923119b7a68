"""Recover and replay job bodies: the requests and the job view."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, field_validator

from integration.domain.jobs import Job, JobKind, JobStatus
from integration.entrypoints.http.schemas.constraints import EventTypeFilter, JobId, WebhookId
from integration.entrypoints.http.schemas.request import Request
from integration.entrypoints.http.schemas.timestamps import RequestTime, Timestamp
from integration.entrypoints.http.schemas.view import View

MAX_TYPES = 50

SINCE = {
    "description": "The window's start (RFC 3339 with an offset): at most the log's retention (30 days by default) ago.",
    "examples": ["2026-12-01T00:00:00Z"],
}
UNTIL = {
    "description": "The window's end, after `since`; now when left out (a later time is cut to now).",
    "examples": ["2026-12-01T06:00:00Z"],
}


def _iso_8601_only(value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string, e.g. 2026-12-01T00:00:00Z")
    return value


class RecoverWebhookRequest(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"since": "2026-12-01T00:00:00Z"}]})

    since: RequestTime = Field(**SINCE)
    until: RequestTime | None = Field(default=None, **UNTIL)

    _times = field_validator("since", "until", mode="before")(_iso_8601_only)


class ReplayWebhookRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"since": "2026-12-01T00:00:00Z"}, {"since": "2026-12-01T00:00:00Z", "types": ["WebhookCreated"]}]
        }
    )

    since: RequestTime = Field(**SINCE)
    until: RequestTime | None = Field(default=None, **UNTIL)
    types: list[EventTypeFilter] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TYPES,
        description="Only events of these types (each in GET /event-types); the webhook's own `events` when left out.",
    )

    _times = field_validator("since", "until", mode="before")(_iso_8601_only)


class JobCountsView(View):
    matched: int = Field(description="Messages (replay: events) of the window the job has handled so far.")
    sent: int = Field(description="Attempts made.")
    succeeded: int
    failed: int
    skipped: int = Field(description="Not sent: pending, succeeded since the job began, or out of attempts.")


class JobView(View):
    id: JobId = Field(description="The job's id: GET /webhooks/{id}/jobs/{job_id} shows it.")
    webhook_id: WebhookId
    kind: JobKind
    status: JobStatus = Field(description="`queued`, then `running`, then `done`, or `failed` with `error`.")
    since: Timestamp
    until: Timestamp
    types: list[str] | None = Field(description="A replay's event types, if given; null for the webhook's own.")
    counts: JobCountsView
    error: str | None = Field(description="Why the job failed.")
    created_at: Timestamp
    updated_at: Timestamp
    finished_at: Timestamp | None

    @classmethod
    def of(cls, job: Job) -> JobView:
        counts = job.counts
        return cls(
            id=job.id,
            webhook_id=job.webhook_id,
            kind=job.kind,
            status=job.status,
            since=job.since,
            until=job.until,
            types=None if job.types is None else list(job.types),
            counts=JobCountsView(
                matched=counts.matched, sent=counts.sent, succeeded=counts.succeeded, failed=counts.failed, skipped=counts.skipped
            ),
            error=job.error,
            created_at=job.created_at,
            updated_at=job.updated_at,
            finished_at=job.finished_at,
        )
