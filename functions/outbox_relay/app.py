"""The outbox relay: the table's stream (outbox records only) to the EventBridge bus.

Powertools batch processing with partial batch failure reports: a record that could not be
published is reported, with every record after it, and the stream retries from there; after
the event source mapping's retries the batch goes to the on-failure queue.

No X-Ray SDK (see :mod:`integration.tracing`): Lambda's active tracing records each batch, and
botocore passes the trace on to EventBridge.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import process_partial_response

from integration import wiring
from integration.entrypoints.outbox_stream import OutboxStreamProcessor
from integration.observability import logger, metrics

processor = OutboxStreamProcessor(relay=wiring.relay_outbox_events().execute, read=wiring.outbox().read)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.set_correlation_id(context.aws_request_id)  # one batch of stream records
    response = process_partial_response(event=event, record_handler=processor.record_handler, processor=processor, context=context)
    failed = len(response.get("batchItemFailures", []))
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=len(event.get("Records", [])) - failed)
    logger.info("relayed outbox records", records=len(event.get("Records", [])), not_published=failed)
    return response
