"""GET /webhooks/{id}: one webhook (never its secret), with its ETag."""

from aws_lambda_powertools.event_handler import Response

from integration.api.etags import etag
from integration.api.http import create_app
from integration.api.schemas.webhooks import WebhookView
from integration.application.webhooks import GetWebhookUseCase
from integration.domain.scopes import Scope
from integration.observability import http_entry_point
from integration.wiring import webhook_repository

app = create_app(Scope.WEBHOOKS_READ)


@app.get("/webhooks/<webhook_id>")
def get_webhook(webhook_id: str) -> Response[WebhookView]:
    principal = app.principal()
    webhook = GetWebhookUseCase(webhook_repository()).execute(principal, webhook_id)
    return Response(
        status_code=200, content_type="application/json", body=WebhookView.of(webhook), headers={"ETag": etag(webhook.version)}
    )


lambda_handler = http_entry_point(app.resolve)
