"""GET /event-types: what a webhook can subscribe to, with each service event's JSON Schema."""

import os

from integration.api.http import create_app
from integration.api.schemas.event_types import EventTypeCatalogueView
from integration.configuration import event_type_catalogue
from integration.observability import http_entry_point

DEFAULT_EVENT_SOURCE = "integration"

app = create_app(None)  # any authenticated caller: the catalogue is the same for every tenant


@app.get("/event-types")
def list_event_types() -> EventTypeCatalogueView:
    return EventTypeCatalogueView.of(event_type_catalogue(), source=os.environ.get("EVENT_SOURCE") or DEFAULT_EVENT_SOURCE)


lambda_handler = http_entry_point(app.resolve)
