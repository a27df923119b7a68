"""POST /webhooks/{id}/recover: send again every message to this webhook that failed in a window
(202 with the job; GET its `Location` for progress). One job per webhook at a time (409)."""

from aws_lambda_powertools.event_handler import Response

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.jobs import JobView, RecoverWebhookRequest

app = create_app(Scope.WEBHOOKS_WRITE, idempotency=wiring.idempotency_store)
use_case = wiring.start_recover_job()


@app.post(
    "/webhooks/<webhook_id>/recover",
    status_code=202,
    operation_id="recoverWebhook",
    tags=["Webhooks"],
    summary="Recover failed messages",
    description=__doc__,
)
def recover_webhook(webhook_id: str, body: RecoverWebhookRequest) -> Response[JobView]:
    principal = app.principal()
    job = use_case.execute(principal, webhook_id, since=body.since, until=body.until)
    location = f"{app.current_event.raw_path.removesuffix('/recover')}/jobs/{job.id}"
    return Response(status_code=202, content_type="application/json", body=JobView.of(job), headers={"Location": location})


lambda_handler = http_entry_point(app.resolve)
