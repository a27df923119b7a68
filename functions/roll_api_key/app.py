"""POST /api-keys/{id}/roll: replace a key with a new one; 201 with the new plaintext key, shown this once.

The new key has the old one's name, description, scopes, metadata and expiry (no later than the
caller's own). The old key keeps working ``expires_in_seconds`` longer (default 86400, 0 to
604800; never past its own expiry), then stops: deploy the new key meanwhile. A revoked or
expired key cannot be rolled (409). Records ``ApiKeyRolled`` with both ids.
"""

from datetime import timedelta

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from integration import wiring
from integration.domain.clock import utc_now
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.api_keys import RollApiKeyRequest, RolledApiKeyView
from integration.observability import metrics

app = create_app(Scope.API_KEYS_WRITE, idempotency=wiring.idempotency_store)
use_case = wiring.roll_api_key()


@app.post(
    "/api-keys/<api_key_id>/roll",
    status_code=201,
    operation_id="rollApiKey",
    tags=["API keys"],
    summary="Roll an API key",
    description=__doc__,
)
def roll_api_key(api_key_id: str, body: RollApiKeyRequest | None = None) -> Response[RolledApiKeyView]:
    principal = app.principal()
    grace = (body or RollApiKeyRequest()).expires_in_seconds
    rolled = use_case.execute(principal, api_key_id, grace=timedelta(seconds=grace))
    metrics.add_metric(name="ApiKeysRolled", unit=MetricUnit.Count, value=1)
    view = RolledApiKeyView.of_rolled(rolled, utc_now())
    location = app.current_event.raw_path.removesuffix(f"/{api_key_id}/roll") + f"/{view.id}"
    return Response(
        status_code=201,
        content_type="application/json",
        body=view,
        headers={"Location": location, "Cache-Control": "no-store"},
    )


lambda_handler = http_entry_point(app.resolve)
