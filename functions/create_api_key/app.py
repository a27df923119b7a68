"""POST /api-keys: create a key; 201 with the plaintext key, shown this once."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from integration.api.http import create_app
from integration.api.schemas.api_keys import CreateApiKeyRequest, CreatedApiKeyView
from integration.application.api_keys import CreateApiKeyUseCase
from integration.domain.clock import utc_now
from integration.domain.scopes import Scope
from integration.observability import http_entry_point, metrics
from integration.wiring import api_key_repository

app = create_app(Scope.API_KEYS_WRITE, idempotent=True)


@app.post("/api-keys", status_code=201)
def create_api_key(body: CreateApiKeyRequest) -> Response[CreatedApiKeyView]:
    principal = app.principal()
    issued = CreateApiKeyUseCase(api_key_repository()).execute(
        principal, name=body.name, scopes=[scope.value for scope in body.scopes], expires_at=body.expires_at
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
