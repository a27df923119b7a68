"""POST /webhooks/{id}/test: send a webhook.test message to this webhook now (202)."""

from aws_lambda_powertools.event_handler import Response

from integration.api.http import create_app
from integration.api.schemas.deliveries import DeliveryView
from integration.domain.scopes import Scope
from integration.observability import http_entry_point
from integration.wiring import send_test_message

app = create_app(Scope.WEBHOOKS_WRITE, idempotent=True)


@app.post("/webhooks/<webhook_id>/test", status_code=202)
def test_webhook(webhook_id: str) -> Response[DeliveryView]:
    principal = app.principal()
    delivery = send_test_message().execute(principal, webhook_id)
    location = f"{app.current_event.raw_path.removesuffix('/test')}/deliveries/{delivery.message.id}"
    return Response(status_code=202, content_type="application/json", body=DeliveryView.of(delivery), headers={"Location": location})


lambda_handler = http_entry_point(app.resolve)
