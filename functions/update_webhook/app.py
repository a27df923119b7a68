"""PUT /webhooks/{id}: replace name, url, events, description and status; optional If-Match."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.etags import etag, parse_if_match
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.webhooks import UpdateWebhookRequest, WebhookView

app = create_app(Scope.WEBHOOKS_WRITE)
use_case = wiring.update_webhook()

IF_MATCH_DESCRIPTION = "Replace only if the webhook's ETag is still this one (a GET's `ETag`), else 412; `*`: if it exists."


@app.put(
    "/webhooks/<webhook_id>",
    operation_id="replaceWebhook",
    tags=["Webhooks"],
    summary="Replace a webhook",
    description=__doc__,
)
def update_webhook(
    webhook_id: str,
    body: UpdateWebhookRequest,
    if_match: Annotated[str | None, Header(description=IF_MATCH_DESCRIPTION)] = None,
) -> Response[WebhookView]:
    principal = app.principal()
    webhook = use_case.execute(principal, webhook_id, body.fields(body.status), precondition=parse_if_match(if_match))
    return Response(
        status_code=200, content_type="application/json", body=WebhookView.of(webhook), headers={"ETag": etag(webhook.version)}
    )


lambda_handler = http_entry_point(app.resolve)
