"""GET /webhooks: the tenant's webhooks, newest first, cursor pagination, optional status."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from integration import wiring
from integration.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from integration.domain.scopes import Scope
from integration.domain.webhooks import WebhookStatus
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.webhooks import WebhookPageView

app = create_app(Scope.WEBHOOKS_READ)
use_case = wiring.list_webhooks()


@app.get(
    "/webhooks",
    operation_id="listWebhooks",
    tags=["Webhooks"],
    summary="List webhooks",
    description=__doc__,
)
def list_webhooks(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1024)] = None,
    status: Annotated[WebhookStatus | None, Query()] = None,
) -> WebhookPageView:
    principal = app.principal()
    page = use_case.execute(principal, status=status, limit=limit, cursor=cursor)
    return WebhookPageView.of(page)


lambda_handler = http_entry_point(app.resolve)
