"""GET /events/{eventId}: one event of the tenant's log, with its delivery at each webhook it went to."""

from integration import wiring
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.events import EventView

app = create_app(Scope.WEBHOOKS_READ)
use_case = wiring.get_event()


@app.get(
    "/events/<event_id>",
    operation_id="getEvent",
    tags=["Events"],
    summary="Get an event",
    description=__doc__,
)
def get_event(event_id: str) -> EventView:
    principal = app.principal()
    return EventView.of_event(use_case.execute(principal, event_id))


lambda_handler = http_entry_point(app.resolve)
