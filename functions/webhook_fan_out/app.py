"""Fan-out: tenant events from the bus (via the webhook events queue) to one delivery message per
subscribed active webhook. An event whose messages could not all be queued is reported as a
batch item failure and handled again; the messages keep their ids, so receivers can deduplicate.

No X-Ray SDK (see :mod:`integration.tracing`): Lambda's active tracing records each batch, and
botocore passes the trace on to SQS."""

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from integration import wiring
from integration.entrypoints.bus_events import tenant_event
from integration.observability import logger, metrics

# A batch whose every event failed is reported item by item too, rather than failing the
# invocation: the answer is the same (SQS hands them all back) and the log says which.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
use_case = wiring.fan_out_event()


def record_handler(record: SQSRecord) -> int:
    logger.set_correlation_id(record.message_id)
    event = tenant_event(json.loads(record.body))
    if event is None:  # the rule only routes events with a tenant; anything else is not ours
        logger.warning("event without a tenant ignored", sqs_message_id=record.message_id)
        return 0
    queued = use_case.execute(event)
    logger.info("event fanned out", tenant_id=event.tenant_id, event_type=event.event_type, event_key=event.event_key, messages=queued)
    metrics.add_metric(name="WebhookMessagesQueued", unit=MetricUnit.Count, value=queued)
    return queued


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
