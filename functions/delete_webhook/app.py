"""DELETE /webhooks/{id}: soft delete; 204. It never receives an event again. Optional If-Match."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.metrics import MetricUnit

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.etags import parse_if_match
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.observability import metrics

app = create_app(Scope.WEBHOOKS_WRITE)
use_case = wiring.delete_webhook()

IF_MATCH_DESCRIPTION = "Delete only if the webhook's ETag is still this one (a GET's `ETag`), else 412; `*`: if it exists."


@app.delete(
    "/webhooks/<webhook_id>",
    status_code=204,
    operation_id="deleteWebhook",
    tags=["Webhooks"],
    summary="Delete a webhook",
    description=__doc__,
)
def delete_webhook(
    webhook_id: str, if_match: Annotated[str | None, Header(description=IF_MATCH_DESCRIPTION)] = None
) -> Response[None]:
    principal = app.principal()
    use_case.execute(principal, webhook_id, precondition=parse_if_match(if_match))
    metrics.add_metric(name="WebhooksDeleted", unit=MetricUnit.Count, value=1)
    return Response(status_code=204)


lambda_handler = http_entry_point(app.resolve)
