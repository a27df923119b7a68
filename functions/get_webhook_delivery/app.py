"""GET /webhooks/{id}/deliveries/{deliveryId}: one message with its payload and every attempt."""

from integration.api.http import create_app
from integration.api.schemas.deliveries import DeliveryView
from integration.domain.scopes import Scope
from integration.observability import http_entry_point
from integration.wiring import get_delivery

app = create_app(Scope.WEBHOOKS_READ)


@app.get("/webhooks/<webhook_id>/deliveries/<delivery_id>")
def get_webhook_delivery(webhook_id: str, delivery_id: str) -> DeliveryView:
    principal = app.principal()
    return DeliveryView.of(get_delivery().execute(principal, webhook_id, delivery_id))


lambda_handler = http_entry_point(app.resolve)
