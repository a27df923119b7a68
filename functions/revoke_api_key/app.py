"""POST /api-keys/{id}/revoke: revoke a key; revoking again is harmless."""

from aws_lambda_powertools.metrics import MetricUnit

from integration import wiring
from integration.domain.clock import utc_now
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.api_keys import ApiKeyView
from integration.observability import metrics

app = create_app(Scope.API_KEYS_WRITE, idempotency=wiring.idempotency_store)
use_case = wiring.revoke_api_key()


@app.post(
    "/api-keys/<api_key_id>/revoke",
    operation_id="revokeApiKey",
    tags=["API keys"],
    summary="Revoke an API key",
    description=__doc__,
)
def revoke_api_key(api_key_id: str) -> ApiKeyView:
    principal = app.principal()
    key = use_case.execute(principal, api_key_id)
    metrics.add_metric(name="ApiKeysRevoked", unit=MetricUnit.Count, value=1)
    return ApiKeyView.of(key, utc_now())


lambda_handler = http_entry_point(app.resolve)
