"""POST /webhooks/{id}/deliveries/{deliveryId}/retry: send the message again now (202)."""

from aws_lambda_powertools.event_handler import Response

from integration.api.http import create_app
from integration.api.schemas.deliveries import DeliveryView
from integration.domain.scopes import Scope
from integration.observability import http_entry_point
from integration.wiring import retry_delivery

app = create_app(Scope.WEBHOOKS_WRITE, idempotent=True)


@app.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/retry", status_code=202)
def retry_webhook_delivery(webhook_id: str, delivery_id: str) -> Response[DeliveryView]:
    principal = app.principal()
    delivery = retry_delivery().execute(principal, webhook_id, delivery_id)
    return Response(status_code=202, content_type="application/json", body=DeliveryView.of(delivery))


lambda_handler = http_entry_point(app.resolve)
