"""POST /webhooks/{id}/replay: deliver every logged event of a window that the webhook's filter
(or `types`) matches, also events from before the webhook existed (202 with the job; GET its
`Location` for progress). One job per webhook at a time (409)."""

from aws_lambda_powertools.event_handler import Response

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.jobs import JobView, ReplayWebhookRequest

app = create_app(Scope.WEBHOOKS_WRITE, idempotency=wiring.idempotency_store)
use_case = wiring.start_replay_job()


@app.post(
    "/webhooks/<webhook_id>/replay",
    status_code=202,
    operation_id="replayWebhook",
    tags=["Webhooks"],
    summary="Replay logged events",
    description=__doc__,
)
def replay_webhook(webhook_id: str, body: ReplayWebhookRequest) -> Response[JobView]:
    principal = app.principal()
    job = use_case.execute(principal, webhook_id, since=body.since, until=body.until, types=body.types)
    location = f"{app.current_event.raw_path.removesuffix('/replay')}/jobs/{job.id}"
    return Response(status_code=202, content_type="application/json", body=JobView.of(job), headers={"Location": location})


lambda_handler = http_entry_point(app.resolve)
