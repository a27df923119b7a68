"""GET /scopes: the scopes an API key may carry in this deployment, with descriptions.

This service's own scopes (`origin: service`) and the platform scopes the deployment adds
(`origin: platform`, template parameter `PlatformScopes`), which the platform's other APIs check.
"""

from integration import wiring
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.scopes import ScopeCatalogueView

app = create_app(None)  # any authenticated caller: the catalogue is the same for every tenant
catalogue = ScopeCatalogueView.of(wiring.scope_catalogue())


@app.get(
    "/scopes",
    operation_id="listScopes",
    tags=["Scopes"],
    summary="List scopes",
    description=__doc__,
)
def list_scopes() -> ScopeCatalogueView:
    return catalogue


lambda_handler = http_entry_point(app.resolve)
