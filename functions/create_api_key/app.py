"""POST /api-keys: create a key; 201 with the plaintext key, shown this once."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from integration import wiring
from integration.domain.clock import utc_now
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.api_keys import CreateApiKeyRequest, CreatedApiKeyView
from integration.observability import metrics

app = create_app(Scope.API_KEYS_WRITE, idempotency=wiring.idempotency_store)
use_case = wiring.create_api_key()


@app.post(
    "/api-keys",
    status_code=201,
    operation_id="createApiKey",
    tags=["API keys"],
    summary="Create an API key",
    description=__doc__,
)
def create_api_key(body: CreateApiKeyRequest) -> Response[CreatedApiKeyView]:
    principal = app.principal()
    issued = use_case.execute(
        principal,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
        description=body.description,
        metadata=body.metadata,
    )
    metrics.add_metric(name="ApiKeysCreated", unit=MetricUnit.Count, value=1)
    view = CreatedApiKeyView.of_issued(issued, utc_now())
    return Response(
        status_code=201,
        content_type="application/json",
        body=view,
        headers={"Location": f"{app.current_event.raw_path}/{view.id}", "Cache-Control": "no-store"},
    )


lambda_handler = http_entry_point(app.resolve)
