"""PUT /webhooks/{id}: replace name, url, events, description and status."""

from integration.api.http import create_app
from integration.api.schemas import UpdateWebhookRequest, WebhookView
from integration.application.webhooks import UpdateWebhookUseCase
from integration.domain.scopes import Scope
from integration.observability import http_entry_point
from integration.wiring import webhook_repository, webhook_rules

app = create_app()


@app.put("/webhooks/<webhook_id>")
def update_webhook(webhook_id: str, body: UpdateWebhookRequest) -> WebhookView:
    principal = app.principal(Scope.WEBHOOKS_WRITE)
    webhook = UpdateWebhookUseCase(webhook_repository(), webhook_rules()).execute(principal, webhook_id, body.fields(body.status))
    return WebhookView.of(webhook)


lambda_handler = http_entry_point(app.resolve)
