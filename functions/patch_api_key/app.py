"""PATCH /api-keys/{id}: change a key's name, description or metadata, or narrow its scopes (a JSON Merge Patch).

The merge patch (RFC 7396, ``application/merge-patch+json`` or ``application/json``) sets the
members sent; ``null`` clears ``description`` or ``metadata``. ``scopes`` may only be narrowed
(a non-empty subset of the key's). A revoked key cannot be changed (409). The change and its
``ApiKeyUpdated`` event are one write; ``{}`` changes nothing.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from integration import wiring
from integration.domain.clock import utc_now
from integration.domain.scopes import Scope
from integration.entrypoints.http.resolver import create_app, http_entry_point
from integration.entrypoints.http.schemas.api_keys import ApiKeyView, PatchApiKeyRequest

app = create_app(Scope.API_KEYS_WRITE)
use_case = wiring.update_api_key()

MERGE_PATCH = "application/merge-patch+json"


@app.patch(
    "/api-keys/<api_key_id>",
    operation_id="updateApiKey",
    tags=["API keys"],
    summary="Update an API key",
    description=__doc__,
)
def patch_api_key(api_key_id: str, body: Annotated[PatchApiKeyRequest, Body(media_type=MERGE_PATCH)]) -> ApiKeyView:
    principal = app.principal()
    key = use_case.execute(principal, api_key_id, body.patch())
    return ApiKeyView.of(key, utc_now())


lambda_handler = http_entry_point(app.resolve)
