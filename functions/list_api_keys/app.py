"""GET /api-keys: the tenant's keys, newest first, cursor pagination; ``created_by`` filters by creator."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from integration.api.http import create_app
from integration.api.schemas.api_keys import MAX_CREATED_BY_LENGTH, ApiKeyPageView
from integration.application.api_keys import ListApiKeysUseCase
from integration.domain.clock import utc_now
from integration.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from integration.domain.scopes import Scope
from integration.observability import http_entry_point
from integration.wiring import api_key_repository

app = create_app(Scope.API_KEYS_READ)


@app.get("/api-keys")
def list_api_keys(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1024)] = None,
    created_by: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_CREATED_BY_LENGTH,
            description="Only the keys this credential created (a key id, `oidc:<sub>` or `operator`).",
        ),
    ] = None,
) -> ApiKeyPageView:
    principal = app.principal()
    page = ListApiKeysUseCase(api_key_repository()).execute(principal, created_by=created_by, limit=limit, cursor=cursor)
    return ApiKeyPageView.of(page, utc_now())


lambda_handler = http_entry_point(app.resolve)
