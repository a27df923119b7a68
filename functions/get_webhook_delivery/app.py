"""GET /webhooks/{id}/deliveries/{deliveryId}: one message with its payload and every attempt."""

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.deliveries import DeliveryView

app = create_app(Scope.WEBHOOKS_READ)
use_case = wiring.get_delivery()


@app.get(
    "/webhooks/<webhook_id>/deliveries/<delivery_id>",
    operation_id="getWebhookDelivery",
    tags=["Deliveries"],
    summary="Get a delivery",
    description=__doc__,
)
def get_webhook_delivery(webhook_id: str, delivery_id: str) -> DeliveryView:
    principal = app.principal()
    return DeliveryView.of(use_case.execute(principal, webhook_id, delivery_id))


lambda_handler = http_entry_point(app.resolve)
