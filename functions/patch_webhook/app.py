"""PATCH /webhooks/{id}: change some of name, url, events, description and status (a JSON Merge Patch); optional If-Match.

The merge patch (RFC 7396, ``application/merge-patch+json`` or ``application/json``) is applied to
the webhook as it is, and the result goes through the same use case and rules as a PUT of it.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.etags import etag, parse_if_match
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.webhooks import PatchWebhookRequest, WebhookView

app = create_app(Scope.WEBHOOKS_WRITE)
use_case = wiring.update_webhook()

MERGE_PATCH = "application/merge-patch+json"
IF_MATCH_DESCRIPTION = "Apply only if the webhook's ETag is still this one (a GET's `ETag`), else 412; `*`: if it exists."


@app.patch(
    "/webhooks/<webhook_id>",
    operation_id="updateWebhook",
    tags=["Webhooks"],
    summary="Update a webhook",
    description=__doc__,
)
def patch_webhook(
    webhook_id: str,
    body: Annotated[PatchWebhookRequest, Body(media_type=MERGE_PATCH)],
    if_match: Annotated[str | None, Header(description=IF_MATCH_DESCRIPTION)] = None,
) -> Response[WebhookView]:
    principal = app.principal()
    webhook = use_case.execute(principal, webhook_id, body.patch(), precondition=parse_if_match(if_match))
    return Response(
        status_code=200, content_type="application/json", body=WebhookView.of(webhook), headers={"ETag": etag(webhook.version)}
    )


lambda_handler = http_entry_point(app.resolve)
