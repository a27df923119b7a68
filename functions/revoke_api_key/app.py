"""POST /api-keys/{id}/revoke: revoke a key; revoking again is harmless."""

from aws_lambda_powertools.metrics import MetricUnit

from integration.api.http import create_app
from integration.api.schemas.api_keys import ApiKeyView
from integration.application.api_keys import RevokeApiKeyUseCase
from integration.domain.clock import utc_now
from integration.domain.scopes import Scope
from integration.observability import http_entry_point, metrics
from integration.wiring import api_key_repository

app = create_app(Scope.API_KEYS_WRITE, idempotent=True)


@app.post("/api-keys/<api_key_id>/revoke")
def revoke_api_key(api_key_id: str) -> ApiKeyView:
    principal = app.principal()
    key = RevokeApiKeyUseCase(api_key_repository()).execute(principal, api_key_id)
    metrics.add_metric(name="ApiKeysRevoked", unit=MetricUnit.Count, value=1)
    return ApiKeyView.of(key, utc_now())


lambda_handler = http_entry_point(app.resolve)
