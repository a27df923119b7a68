"""POST /webhooks/{id}/rotate-secret: a new signing secret, shown this once; the old one keeps
signing beside it for the grace period."""

from aws_lambda_powertools.event_handler import Response

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.webhooks import RotatedSecretView

app = create_app(Scope.WEBHOOKS_WRITE, idempotency=wiring.idempotency_store)
use_case = wiring.rotate_webhook_secret()


@app.post(
    "/webhooks/<webhook_id>/rotate-secret",
    operation_id="rotateWebhookSecret",
    tags=["Webhooks"],
    summary="Rotate a webhook's secret",
    description=__doc__,
)
def rotate_secret(webhook_id: str) -> Response[RotatedSecretView]:
    principal = app.principal()
    webhook = use_case.execute(principal, webhook_id)
    return Response(status_code=200, content_type="application/json", body=RotatedSecretView.of(webhook), headers={"Cache-Control": "no-store"})


lambda_handler = http_entry_point(app.resolve)
