"""GET /webhooks: the tenant's webhooks, newest first, cursor pagination, optional status."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from integration.api.http import create_app
from integration.api.schemas.webhooks import WebhookPageView
from integration.application.webhooks import ListWebhooksUseCase
from integration.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from integration.domain.scopes import Scope
from integration.domain.webhooks import WebhookStatus
from integration.observability import http_entry_point
from integration.wiring import webhook_repository

app = create_app(Scope.WEBHOOKS_READ)


@app.get("/webhooks")
def list_webhooks(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1024)] = None,
    status: Annotated[WebhookStatus | None, Query()] = None,
) -> WebhookPageView:
    principal = app.principal()
    page = ListWebhooksUseCase(webhook_repository()).execute(principal, status=status, limit=limit, cursor=cursor)
    return WebhookPageView.of(page)


lambda_handler = http_entry_point(app.resolve)
