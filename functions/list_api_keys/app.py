"""GET /api-keys: the tenant's keys, newest first, cursor pagination."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from integration.api.http import create_app
from integration.api.schemas.api_keys import ApiKeyPageView
from integration.application.api_keys import ListApiKeysUseCase
from integration.domain.clock import utc_now
from integration.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from integration.domain.scopes import Scope
from integration.observability import http_entry_point
from integration.wiring import api_key_repository

app = create_app()


@app.get("/api-keys")
def list_api_keys(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1024)] = None,
) -> ApiKeyPageView:
    principal = app.principal(Scope.API_KEYS_READ)
    page = ListApiKeysUseCase(api_key_repository()).execute(principal, limit=limit, cursor=cursor)
    return ApiKeyPageView.of(page, utc_now())


lambda_handler = http_entry_point(app.resolve)
