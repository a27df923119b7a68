"""Job worker: one step of a recover or replay job per queued message. A step sends the job's
next messages one at a time (a one-shot attempt each), saves its progress after each, and
queues the next step or finishes the job. A step that raises is handed back by SQS and resumes
from the job's saved cursor."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from integration import wiring
from integration.entrypoints.batch import PartialBatch
from integration.observability import logger, metrics
from integration.tracing import trace_webhook_requests, tracer

trace_webhook_requests()
use_case = wiring.run_job_step()
queue = wiring.job_queue()


def run_step(record: dict[str, Any], context: Any) -> str:
    """One job step for one SQS message; raises if the step failed (the message is handed back)."""
    logger.set_correlation_id(record["messageId"])
    try:
        tenant_id, webhook_id, job_id = queue.read(record["body"])
    except ValueError as error:
        logger.error("malformed job step dropped", sqs_message_id=record["messageId"], error=str(error))
        return "dropped"
    result = use_case.execute(tenant_id, webhook_id, job_id, remaining_ms=context.get_remaining_time_in_millis)
    logger.info("job step", tenant_id=tenant_id, webhook_id=webhook_id, job_id=job_id, result=result.value)
    if result.value in ("done", "failed"):
        metrics.add_metric(name=f"WebhookJobs{result.value.capitalize()}", unit=MetricUnit.Count, value=1)
    return result.value


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    batch = PartialBatch.from_queue(event)
    batch.each(lambda record: run_step(record, context))
    return batch.response()
