"""GET /api-keys/{id}: one key (never its hash or plaintext)."""

from integration import wiring
from integration.domain.clock import utc_now
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.api_keys import ApiKeyView

app = create_app(Scope.API_KEYS_READ)
use_case = wiring.get_api_key()


@app.get(
    "/api-keys/<api_key_id>",
    operation_id="getApiKey",
    tags=["API keys"],
    summary="Get an API key",
    description=__doc__,
)
def get_api_key(api_key_id: str) -> ApiKeyView:
    principal = app.principal()
    key = use_case.execute(principal, api_key_id)
    return ApiKeyView.of(key, utc_now())


lambda_handler = http_entry_point(app.resolve)
