"""GET /webhooks/{id}: one webhook (never its secret)."""

from integration.api.http import create_app
from integration.api.schemas import WebhookView
from integration.application.webhooks import GetWebhookUseCase
from integration.domain.scopes import Scope
from integration.observability import http_entry_point
from integration.wiring import webhook_repository

app = create_app()


@app.get("/webhooks/<webhook_id>")
def get_webhook(webhook_id: str) -> WebhookView:
    principal = app.principal(Scope.WEBHOOKS_READ)
    return WebhookView.of(GetWebhookUseCase(webhook_repository()).execute(principal, webhook_id))


lambda_handler = http_entry_point(app.resolve)
