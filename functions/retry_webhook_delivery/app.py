"""POST /webhooks/{id}/deliveries/{deliveryId}/retry: send the message again now (202)."""

from aws_lambda_powertools.event_handler import Response

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.deliveries import DeliveryView

app = create_app(Scope.WEBHOOKS_WRITE, idempotency=wiring.idempotency_store)
use_case = wiring.retry_delivery()


@app.post(
    "/webhooks/<webhook_id>/deliveries/<delivery_id>/retry",
    status_code=202,
    operation_id="retryWebhookDelivery",
    tags=["Deliveries"],
    summary="Retry a delivery now",
    description=__doc__,
)
def retry_webhook_delivery(webhook_id: str, delivery_id: str) -> Response[DeliveryView]:
    principal = app.principal()
    delivery = use_case.execute(principal, webhook_id, delivery_id)
    return Response(status_code=202, content_type="application/json", body=DeliveryView.of(delivery))


lambda_handler = http_entry_point(app.resolve)
