"""Recover and replay jobs: what a job skips, its states, its id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integration.domain.deliveries import (
    MAX_ATTEMPTS_PER_MESSAGE,
    AttemptTrigger,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookMessage,
)
from integration.domain.ids import decode_ulid_time_ms, is_valid_id
from integration.domain.job_steps import attempt_trigger, skip_reason
from integration.domain.jobs import JOB_ID_PREFIX, JobCounts, JobKind, JobStatus, new_job, stopped_after_failures

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MESSAGE = WebhookMessage(
    id="msg_01M8JVX0Q8D5N2C4B6A8E0G2J4", tenant_id="t", webhook_id="wh_1", event_type="X", event_id="e", timestamp=NOW, data={}
)


def attempt(at: datetime, code: int) -> DeliveryAttempt:
    return DeliveryAttempt(at=at, trigger=AttemptTrigger.SCHEDULED, status_code=code, duration_ms=1, error=None, response_body="")


def delivery(status: DeliveryStatus, *attempts: DeliveryAttempt) -> Delivery:
    return Delivery(MESSAGE, status, attempts, created_at=NOW, updated_at=NOW)


def test_a_message_not_logged_yet_is_sent() -> None:
    assert skip_reason(None, job_created_at=NOW) is None  # replay to a new endpoint


def test_a_failed_message_is_sent() -> None:
    assert skip_reason(delivery(DeliveryStatus.FAILED, attempt(NOW - timedelta(hours=1), 500)), job_created_at=NOW) is None


def test_a_pending_message_is_skipped_its_attempt_is_scheduled() -> None:
    assert skip_reason(delivery(DeliveryStatus.PENDING, attempt(NOW, 500)), job_created_at=NOW) == "pending"


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(seconds=1)])
def test_a_message_that_succeeded_since_the_job_began_is_skipped(offset: timedelta) -> None:
    record = delivery(DeliveryStatus.SUCCEEDED, attempt(NOW - timedelta(hours=1), 500), attempt(NOW + offset, 200))
    assert skip_reason(record, job_created_at=NOW) == "succeeded since the job began"


def test_a_message_that_succeeded_before_the_job_is_sent_again_by_a_replay() -> None:
    record = delivery(DeliveryStatus.SUCCEEDED, attempt(NOW - timedelta(seconds=1), 200))
    assert skip_reason(record, job_created_at=NOW) is None


def test_a_message_out_of_attempts_is_skipped() -> None:
    record = delivery(DeliveryStatus.FAILED, *[attempt(NOW - timedelta(hours=1), 500)] * MAX_ATTEMPTS_PER_MESSAGE)
    assert skip_reason(record, job_created_at=NOW) == f"has {MAX_ATTEMPTS_PER_MESSAGE} attempts"


def test_a_new_job_is_queued_with_an_id_of_its_time_and_no_counts() -> None:
    job = new_job(
        tenant_id="t", webhook_id="wh_1", kind=JobKind.RECOVER, since=NOW - timedelta(days=1), until=NOW, types=None, now=NOW
    )
    assert is_valid_id(job.id, JOB_ID_PREFIX) and decode_ulid_time_ms(job.id[4:]) == int(NOW.timestamp() * 1000)
    assert (job.status, job.counts, job.cursor, job.version, job.finished_at) == (JobStatus.QUEUED, JobCounts(), None, 1, None)


def test_progress_makes_the_next_version_running_and_finishing_sets_done_or_failed() -> None:
    job = new_job(tenant_id="t", webhook_id="wh_1", kind=JobKind.REPLAY, since=NOW, until=NOW, types=("X",), now=NOW)
    later = NOW + timedelta(seconds=5)
    running = job.progressed(later, cursor="evt_1", counts=JobCounts(matched=1, sent=1, succeeded=1))
    assert (running.status, running.version, running.cursor, running.updated_at) == (JobStatus.RUNNING, 2, "evt_1", later)
    done = running.finished(later)
    assert (done.status, done.finished_at, done.error, done.version) == (JobStatus.DONE, later, None, 3)
    failed = running.finished(later, error=stopped_after_failures(10))
    assert failed.status is JobStatus.FAILED and failed.error.startswith("stopped after 10 consecutive failed attempts")
    assert JobStatus.DONE.finished and JobStatus.FAILED.finished and not JobStatus.RUNNING.finished


def test_a_jobs_attempts_name_its_kind() -> None:
    assert attempt_trigger(JobKind.RECOVER) is AttemptTrigger.RECOVER and attempt_trigger(JobKind.REPLAY) is AttemptTrigger.REPLAY
