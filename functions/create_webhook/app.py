"""POST /webhooks: register an endpoint; 201 with its signing secret, shown this once."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.webhooks import CreatedWebhookView, CreateWebhookRequest
from integration.observability import metrics

app = create_app(Scope.WEBHOOKS_WRITE, idempotency=wiring.idempotency_store)
use_case = wiring.create_webhook()


@app.post(
    "/webhooks",
    status_code=201,
    operation_id="createWebhook",
    tags=["Webhooks"],
    summary="Create a webhook",
    description=__doc__,
)
def create_webhook(body: CreateWebhookRequest) -> Response[CreatedWebhookView]:
    principal = app.principal()
    webhook = use_case.execute(principal, body.fields(body.status))
    metrics.add_metric(name="WebhooksCreated", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=201,
        content_type="application/json",
        body=CreatedWebhookView.of_created(webhook),
        headers={"Location": f"{app.current_event.raw_path}/{webhook.id}", "Cache-Control": "no-store"},
    )


lambda_handler = http_entry_point(app.resolve)
