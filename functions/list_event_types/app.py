"""GET /event-types: what a webhook can subscribe to, with each type's JSON Schema and an example.

This service's types come with their schemas; a platform type with the schema and example the
platform published (SSM Parameter Store), read again at most every few minutes: most requests
make no AWS call."""

from integration import wiring
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.event_types import EventTypeCatalogueView
from integration.settings import settings

app = create_app(None)  # any authenticated caller: the catalogue is the same for every tenant
use_case = wiring.list_event_types()
source = settings().event_source
_view: tuple[object, EventTypeCatalogueView] | None = None  # the last view, and what it was built from


@app.get(
    "/event-types",
    operation_id="listEventTypes",
    tags=["Event types"],
    summary="List event types",
    description=__doc__,
)
def list_event_types() -> EventTypeCatalogueView:
    global _view
    described = use_case.execute()
    if _view is None or _view[0] is not described:  # a new read of the platform's schemas
        _view = (described, EventTypeCatalogueView.of(described, source=source))
    return _view[1]


lambda_handler = http_entry_point(app.resolve)
