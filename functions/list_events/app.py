"""GET /events: the tenant's event log, newest first, optionally of one type and in a time window.

Every event that reached the tenant's webhooks is here (this service's own and the platform's),
also one no webhook subscribed to, for the event log's retention (30 days by default).
``since`` and ``until`` are both included, to the millisecond.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from integration import wiring
from integration.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.events import EventPageView
from integration.entrypoints.http.schemas.timestamps import RequestTime

app = create_app(Scope.WEBHOOKS_READ)
use_case = wiring.list_events()


@app.get(
    "/events",
    operation_id="listEvents",
    tags=["Events"],
    summary="List events",
    description=__doc__,
)
def list_events(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(min_length=1, max_length=1024)] = None,
    event_type: Annotated[
        str | None,
        Query(alias="type", min_length=1, max_length=256, description="Only events of this type (see GET /event-types)."),
    ] = None,
    since: Annotated[
        RequestTime | None, Query(description="Only events that happened at or after this time (RFC 3339).")
    ] = None,
    until: Annotated[
        RequestTime | None, Query(description="Only events that happened at or before this time (RFC 3339).")
    ] = None,
) -> EventPageView:
    principal = app.principal()
    page = use_case.execute(principal, event_type=event_type, since=since, until=until, limit=limit, cursor=cursor)
    return EventPageView.of(page)


lambda_handler = http_entry_point(app.resolve)
