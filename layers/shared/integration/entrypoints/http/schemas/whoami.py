"""The caller as the authorizer established it (GET /whoami)."""

from __future__ import annotations

from pydantic import Field

from integration.domain.principal import OIDC_CREDENTIAL_PREFIX, Principal
from integration.entrypoints.http.schemas.constraints import API_KEY_ID_EXAMPLE, ApiKeyId
from integration.entrypoints.http.schemas.timestamps import Timestamp
from integration.entrypoints.http.schemas.view import View


class WhoAmIView(View):
    tenant_id: str = Field(description="The tenant the credential acts for.", examples=["tenant-a"])
    credential_id: str = Field(
        description="The credential: an API key's id, or `oidc:<sub>` for a person signed in with OIDC.",
        examples=[API_KEY_ID_EXAMPLE, "oidc:auth0|5f7c8ec7c33c6c004bbafe82"],
    )
    api_key_id: ApiKeyId | None = Field(description="The API key's id; null for an OIDC sign-in.")
    scopes: list[str] = Field(description="What the credential may do, sorted.", examples=[["api-keys:read", "webhooks:read"]])
    expires_at: Timestamp | None = Field(
        description="When the credential stops working; null: an API key without expiry, or an OIDC sign-in."
    )

    @classmethod
    def of(cls, principal: Principal) -> WhoAmIView:
        is_key = not principal.credential_id.startswith(OIDC_CREDENTIAL_PREFIX)
        return cls(
            tenant_id=principal.tenant_id,
            credential_id=principal.credential_id,
            api_key_id=principal.credential_id if is_key else None,
            scopes=sorted(principal.scopes),
            expires_at=principal.expires_at,
        )
