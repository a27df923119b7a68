"""POST /webhooks: register an endpoint; 201 with its signing secret, shown this once."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from integration.api.http import create_app
from integration.api.schemas.webhooks import CreatedWebhookView, CreateWebhookRequest
from integration.application.webhooks import CreateWebhookUseCase
from integration.configuration import webhook_rules
from integration.domain.scopes import Scope
from integration.observability import http_entry_point, metrics
from integration.wiring import webhook_repository

app = create_app(Scope.WEBHOOKS_WRITE, idempotent=True)


@app.post("/webhooks", status_code=201)
def create_webhook(body: CreateWebhookRequest) -> Response[CreatedWebhookView]:
    principal = app.principal()
    webhook = CreateWebhookUseCase(webhook_repository(), webhook_rules()).execute(principal, body.fields(body.status))
    metrics.add_metric(name="WebhooksCreated", unit=MetricUnit.Count, value=1)
    return Response(
        status_code=201,
        content_type="application/json",
        body=CreatedWebhookView.of_created(webhook),
        headers={"Location": f"{app.current_event.raw_path}/{webhook.id}", "Cache-Control": "no-store"},
    )


lambda_handler = http_entry_point(app.resolve)
