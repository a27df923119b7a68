"""GET /api-keys: the tenant's keys, newest first, cursor pagination; ``created_by`` filters by creator."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from integration import wiring
from integration.domain.clock import utc_now
from integration.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.api_keys import MAX_CREATED_BY_LENGTH, ApiKeyPageView

app = create_app(Scope.API_KEYS_READ)
use_case = wiring.list_api_keys()


@app.get(
    "/api-keys",
    operation_id="listApiKeys",
    tags=["API keys"],
    summary="List API keys",
    description=__doc__,
)
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
    page = use_case.execute(principal, created_by=created_by, limit=limit, cursor=cursor)
    return ApiKeyPageView.of(page, utc_now())


lambda_handler = http_entry_point(app.resolve)
