"""GET /webhooks/{id}: one webhook (never its secret), with its ETag."""

from aws_lambda_powertools.event_handler import Response

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.etags import etag
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.webhooks import WebhookView

app = create_app(Scope.WEBHOOKS_READ)
use_case = wiring.get_webhook()


@app.get(
    "/webhooks/<webhook_id>",
    operation_id="getWebhook",
    tags=["Webhooks"],
    summary="Get a webhook",
    description=__doc__,
)
def get_webhook(webhook_id: str) -> Response[WebhookView]:
    principal = app.principal()
    webhook = use_case.execute(principal, webhook_id)
    return Response(
        status_code=200, content_type="application/json", body=WebhookView.of(webhook), headers={"ETag": etag(webhook.version)}
    )


lambda_handler = http_entry_point(app.resolve)
