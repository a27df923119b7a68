"""API key bodies: create request, key views and pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from integration.domain.api_keys import MAX_NAME_LENGTH, ApiKey, ApiKeyStatus, IssuedApiKey
from integration.domain.pagination import Page
from integration.domain.principal import MAX_SUBJECT_LENGTH, OIDC_CREDENTIAL_PREFIX
from integration.domain.scopes import Scope
from integration.entrypoints.http.schemas.constraints import (
    API_KEY_EXAMPLE,
    API_KEY_ID_EXAMPLE,
    API_KEY_PREFIX_EXAMPLE,
    ApiKeyId,
    NotBlank,
)
from integration.entrypoints.http.schemas.request import Request
from integration.entrypoints.http.schemas.timestamps import Timestamp

MAX_CREATED_BY_LENGTH = len(OIDC_CREDENTIAL_PREFIX) + MAX_SUBJECT_LENGTH


class CreateApiKeyRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "CI deploys", "scopes": ["webhooks:read", "webhooks:write"]},
                {"name": "Nightly report", "scopes": ["webhooks:read"], "expires_at": "2030-01-01T00:00:00Z"},
            ]
        }
    )

    name: NotBlank = Field(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        description="A label to recognise the key by; not blank.",
        examples=["CI deploys"],
    )
    scopes: list[Scope] = Field(
        min_length=1,
        max_length=len(Scope),
        description="What the key may do: only scopes the credential creating it holds.",
        examples=[["webhooks:read", "webhooks:write"]],
    )
    expires_at: AwareDatetime | None = Field(
        default=None,
        examples=["2030-01-01T00:00:00Z"],
        description=(
            "When the key stops working (ISO 8601, future). Created with a key that expires: at most that key's expiry, "
            "and that expiry when omitted."
        ),
    )

    @field_validator("expires_at", mode="before")
    @classmethod
    def _iso_8601_only(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError("must be an ISO 8601 date-time string, e.g. 2030-01-01T00:00:00Z")
        return value


class ApiKeyView(BaseModel):
    id: ApiKeyId
    name: str = Field(examples=["CI deploys"])
    scopes: list[str] = Field(examples=[["webhooks:read", "webhooks:write"]])
    prefix: str = Field(
        description="The key's first characters, to recognise it; never enough to use it.", examples=[API_KEY_PREFIX_EXAMPLE]
    )
    status: ApiKeyStatus
    created_at: Timestamp
    created_by: str = Field(
        description="The credential that created the key: an API key's id, `oidc:<sub>` for a person signed in with OIDC, or `operator`.",
        examples=[API_KEY_ID_EXAMPLE, "oidc:auth0|5f7c8ec7c33c6c004bbafe82", "operator"],
    )
    expires_at: Timestamp | None = Field(
        description="When the key stops working; null: never. A key created by a key that expires expires no later than it."
    )
    revoked_at: Timestamp | None
    last_used_at: Timestamp | None = Field(
        description="When the key was last used, accurate to a minute (a use within a minute of the recorded one is not recorded); null until first used."
    )

    @classmethod
    def of(cls, key: ApiKey, now: datetime) -> ApiKeyView:
        return cls(
            id=key.id,
            name=key.name,
            scopes=list(key.scopes),
            prefix=key.prefix,
            status=key.status(now),
            created_at=key.created_at,
            created_by=key.created_by,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


class CreatedApiKeyView(ApiKeyView):
    key: str = Field(
        description="The plaintext key (`intk_` and 38 letters and digits). Shown in this response only: store it now.",
        examples=[API_KEY_EXAMPLE],
    )

    @classmethod
    def of_issued(cls, issued: IssuedApiKey, now: datetime) -> CreatedApiKeyView:
        return cls(**ApiKeyView.of(issued.api_key, now).model_dump(), key=issued.plaintext)


class ApiKeyPageView(BaseModel):
    items: list[ApiKeyView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")

    @classmethod
    def of(cls, page: Page[ApiKey], now: datetime) -> ApiKeyPageView:
        return cls(items=[ApiKeyView.of(key, now) for key in page.items], next_cursor=page.next_cursor)
