"""What a job's step decides about each logged message it comes to: whether to send it, and
what its attempt names in the delivery log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from integration.domain.deliveries import MAX_ATTEMPTS_PER_MESSAGE, AttemptTrigger, DeliveryStatus

if TYPE_CHECKING:
    from datetime import datetime

    from integration.domain.deliveries import Delivery
    from integration.domain.jobs import JobKind


def attempt_trigger(kind: JobKind) -> AttemptTrigger:
    """What a job's attempts name as their trigger: the job's kind."""
    return AttemptTrigger(kind.value)


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
