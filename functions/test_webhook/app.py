"""POST /webhooks/{id}/test: send a webhook.test message to this webhook now (202)."""

from aws_lambda_powertools.event_handler import Response

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.deliveries import DeliveryView

app = create_app(Scope.WEBHOOKS_WRITE, idempotency=wiring.idempotency_store)
use_case = wiring.send_test_message()


@app.post(
    "/webhooks/<webhook_id>/test",
    status_code=202,
    operation_id="sendTestWebhook",
    tags=["Webhooks"],
    summary="Send a test message",
    description=__doc__,
)
def test_webhook(webhook_id: str) -> Response[DeliveryView]:
    principal = app.principal()
    delivery = use_case.execute(principal, webhook_id)
    location = f"{app.current_event.raw_path.removesuffix('/test')}/deliveries/{delivery.message.id}"
    return Response(status_code=202, content_type="application/json", body=DeliveryView.of(delivery), headers={"Location": location})


lambda_handler = http_entry_point(app.resolve)
