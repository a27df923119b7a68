"""The outbox sweeper, on a schedule (EventBridge Scheduler): publishes again the recorded events
that are still unpublished ``OUTBOX_REPUBLISH_AFTER_SECONDS`` after they happened, those the
stream relay gave up on after its retries (the bus was unreachable) or never saw, in order and
with their own ``eventId``.

Every run reports ``OutboxOldestUnpublishedAgeSeconds`` (zero when every event is published),
which an alarm watches, and ``EventsRepublished``.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from integration import wiring
from integration.observability import logger, metrics
from integration.settings import settings
from integration.tracing import tracer

use_case = wiring.republish_unpublished_events()
republish_after = settings().outbox_republish_after


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.set_correlation_id(context.aws_request_id)  # one scheduled run
    result = use_case.execute(older_than=republish_after)
    age = result.oldest_unpublished_age.total_seconds()
    metrics.add_metric(name="EventsRepublished", unit=MetricUnit.Count, value=result.republished)
    metrics.add_metric(name="OutboxOldestUnpublishedAgeSeconds", unit=MetricUnit.Seconds, value=age)
    if result.republished or result.not_published:
        logger.warning(
            "republished outbox events", republished=result.republished, not_published=result.not_published, oldest_age_seconds=age
        )
    return {"republished": result.republished, "notPublished": result.not_published, "oldestUnpublishedAgeSeconds": age}
