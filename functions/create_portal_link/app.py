"""POST /portal-links: a link that signs its holder in to the console, for a while.

The link's key is an ordinary API key (listed, revocable; `metadata` holds `portal_link: true`)
that expires `ttl_seconds` from now (1 to 86400, default 3600), never later than the credential
creating it, and holds `scopes` (default: this service's scopes the caller holds), at most the
caller's. The key and its expiry travel in the URL's fragment, which browsers never send to a
server. 201 with the link, shown this once.
"""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from integration import wiring
from integration.domain.clock import utc_now
from integration.domain.scopes import Scope
from integration.entrypoints.http.portal_links import request_console_url
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.portal_links import CreatePortalLinkRequest, PortalLinkView
from integration.observability import metrics

app = create_app(Scope.API_KEYS_WRITE, idempotency=wiring.idempotency_store)
use_case = wiring.create_portal_link()


@app.post(
    "/portal-links",
    status_code=201,
    operation_id="createPortalLink",
    tags=["API keys"],
    summary="Create a portal link",
    description=__doc__,
)
def create_portal_link(body: CreatePortalLinkRequest | None = None) -> Response[PortalLinkView]:
    body = body or CreatePortalLinkRequest()
    link = use_case.execute(
        app.principal(),
        request_console_url=request_console_url(app.current_event.raw_event),
        ttl_seconds=body.ttl_seconds,
        scopes=body.scopes,
        name=body.name,
    )
    metrics.add_metric(name="PortalLinksCreated", unit=MetricUnit.Count, value=1)
    view = PortalLinkView.of(link, utc_now())
    location = app.current_event.raw_path.removesuffix("/portal-links") + f"/api-keys/{view.api_key.id}"
    return Response(
        status_code=201,
        content_type="application/json",
        body=view,
        headers={"Location": location, "Cache-Control": "no-store"},
    )


lambda_handler = http_entry_point(app.resolve)
