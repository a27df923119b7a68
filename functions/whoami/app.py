"""GET /whoami: the caller's tenant, credential, scopes and expiry, as the authorizer established them.

Any valid credential may ask (no scope is needed); nothing is read: the answer is what the
authorizer passed on. A console checks a key with it before it keeps it.
"""

from aws_lambda_powertools.event_handler import Response

from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.whoami import WhoAmIView

app = create_app(None)  # any authenticated caller


@app.get(
    "/whoami",
    operation_id="getWhoAmI",
    tags=["API keys"],
    summary="Who am I",
    description=__doc__,
)
def whoami() -> Response[WhoAmIView]:
    view = WhoAmIView.of(app.principal())
    return Response(status_code=200, content_type="application/json", body=view, headers={"Cache-Control": "no-store"})


lambda_handler = http_entry_point(app.resolve)
