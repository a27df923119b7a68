"""POST /webhooks/{id}/rotate-secret: a new signing secret, shown this once; the old one keeps
signing beside it for the grace period."""

from aws_lambda_powertools.event_handler import Response

from integration.api.http import create_app
from integration.api.schemas.webhooks import RotatedSecretView
from integration.domain.scopes import Scope
from integration.observability import http_entry_point
from integration.wiring import rotate_webhook_secret

app = create_app(Scope.WEBHOOKS_WRITE, idempotent=True)


@app.post("/webhooks/<webhook_id>/rotate-secret")
def rotate_secret(webhook_id: str) -> Response[RotatedSecretView]:
    principal = app.principal()
    webhook = rotate_webhook_secret().execute(principal, webhook_id)
    return Response(status_code=200, content_type="application/json", body=RotatedSecretView.of(webhook), headers={"Cache-Control": "no-store"})


lambda_handler = http_entry_point(app.resolve)
