"""GET /event-types: what a webhook can subscribe to, with each service event's JSON Schema."""

from integration import wiring
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.event_types import EventTypeCatalogueView
from integration.settings import settings

app = create_app(None)  # any authenticated caller: the catalogue is the same for every tenant
catalogue = EventTypeCatalogueView.of(wiring.event_type_catalogue(), source=settings().event_source)


@app.get(
    "/event-types",
    operation_id="listEventTypes",
    tags=["Event types"],
    summary="List event types",
    description=__doc__,
)
def list_event_types() -> EventTypeCatalogueView:
    return catalogue


lambda_handler = http_entry_point(app.resolve)
