"""GET /api-keys/{id}: one key (never its hash or plaintext)."""

from integration.api.http import create_app
from integration.api.schemas.api_keys import ApiKeyView
from integration.application.api_keys import GetApiKeyUseCase
from integration.domain.clock import utc_now
from integration.domain.scopes import Scope
from integration.observability import http_entry_point
from integration.wiring import api_key_repository

app = create_app(Scope.API_KEYS_READ)


@app.get("/api-keys/<api_key_id>")
def get_api_key(api_key_id: str) -> ApiKeyView:
    principal = app.principal()
    key = GetApiKeyUseCase(api_key_repository()).execute(principal, api_key_id)
    return ApiKeyView.of(key, utc_now())


lambda_handler = http_entry_point(app.resolve)
