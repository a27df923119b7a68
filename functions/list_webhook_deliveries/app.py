"""GET /webhooks/{id}/deliveries: the webhook's messages, newest first, optionally of one status,
one event type, and whose event happened from ``since`` to ``until`` (both included).

With ``event_type``, a page may hold fewer than ``limit`` deliveries (even none) and still have
a ``next_cursor``: keep following it until it is null.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from integration import wiring
from integration.domain.deliveries import DeliveryStatus
from integration.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.deliveries import DeliveryPageView
from integration.entrypoints.http.schemas.timestamps import RequestTime

app = create_app(Scope.WEBHOOKS_READ)
use_case = wiring.list_deliveries()


@app.get(
    "/webhooks/<webhook_id>/deliveries",
    operation_id="listWebhookDeliveries",
    tags=["Deliveries"],
    summary="List a webhook's deliveries",
    description=__doc__,
)
def list_webhook_deliveries(
    webhook_id: str,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1024)] = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    event_type: Annotated[
        str | None, Query(min_length=1, max_length=256, description="Only messages of this event type (or `webhook.test`).")
    ] = None,
    since: Annotated[RequestTime | None, Query(description="Only messages of events at or after this time (RFC 3339).")] = None,
    until: Annotated[
        RequestTime | None, Query(description="Only messages of events at or before this time (RFC 3339).")
    ] = None,
) -> DeliveryPageView:
    principal = app.principal()
    page = use_case.execute(
        principal, webhook_id, status=status, limit=limit, cursor=cursor, event_type=event_type, since=since, until=until
    )
    return DeliveryPageView.of(page)


lambda_handler = http_entry_point(app.resolve)
