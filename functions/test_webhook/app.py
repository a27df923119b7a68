"""POST /webhooks/{id}/test: send a test message to this webhook now (202).

Without a body, a `webhook.test` ping. With `{"event_type": "<type>"}`, a sample of any type of
the catalogue (GET /event-types), whatever the webhook's `events` filter: that type's example as
`data`. Either way the payload carries `"test": true`; an unknown type (or `*`) is a 422."""

from aws_lambda_powertools.event_handler import Response

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.deliveries import DeliveryView, SendTestMessageRequest

app = create_app(Scope.WEBHOOKS_WRITE, idempotency=wiring.idempotency_store)
use_case = wiring.send_test_message()
PING = SendTestMessageRequest()  # no body: a webhook.test ping (and an optional body in the OpenAPI document)


@app.post(
    "/webhooks/<webhook_id>/test",
    status_code=202,
    operation_id="sendTestWebhook",
    tags=["Webhooks"],
    summary="Send a test message",
    description=__doc__,
)
def test_webhook(webhook_id: str, body: SendTestMessageRequest = PING) -> Response[DeliveryView]:
    principal = app.principal()
    event_type = None if body.event_type is None else body.event_type.strip()
    delivery = use_case.execute(principal, webhook_id, event_type)
    location = f"{app.current_event.raw_path.removesuffix('/test')}/deliveries/{delivery.message.id}"
    return Response(
        status_code=202, content_type="application/json", body=DeliveryView.of(delivery), headers={"Location": location}
    )


lambda_handler = http_entry_point(app.resolve)
