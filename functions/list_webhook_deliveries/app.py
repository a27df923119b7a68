"""GET /webhooks/{id}/deliveries: the webhook's messages, newest first, optional status."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from integration import wiring
from integration.domain.deliveries import DeliveryStatus
from integration.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.deliveries import DeliveryPageView

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
) -> DeliveryPageView:
    principal = app.principal()
    page = use_case.execute(principal, webhook_id, status=status, limit=limit, cursor=cursor)
    return DeliveryPageView.of(page)


lambda_handler = http_entry_point(app.resolve)
