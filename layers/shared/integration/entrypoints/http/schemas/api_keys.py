"""API key bodies: create, merge patch (PATCH) and roll requests, key views and pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, ConfigDict, Field, field_validator

from integration.domain.api_key import (
    MAX_DESCRIPTION_LENGTH,
    MAX_METADATA_BYTES,
    MAX_METADATA_KEY_LENGTH,
    MAX_METADATA_KEYS,
    MAX_NAME_LENGTH,
    ApiKey,
    ApiKeyStatus,
)
from integration.domain.api_key_patch import ApiKeyPatch
from integration.domain.api_keys import DEFAULT_ROLL_GRACE, MAX_ROLL_GRACE, IssuedApiKey, RolledApiKey
from integration.domain.pagination import Page
from integration.domain.principal import MAX_SUBJECT_LENGTH, OIDC_CREDENTIAL_PREFIX
from integration.entrypoints.http.schemas.constraints import (
    API_KEY_EXAMPLE,
    API_KEY_ID_EXAMPLE,
    API_KEY_PREFIX_EXAMPLE,
    ApiKeyId,
    NotBlank,
    ScopeName,
)
from integration.entrypoints.http.schemas.request import Request, optional_member, required_member
from integration.entrypoints.http.schemas.timestamps import Timestamp
from integration.entrypoints.http.schemas.view import View

MAX_CREATED_BY_LENGTH = len(OIDC_CREDENTIAL_PREFIX) + MAX_SUBJECT_LENGTH
MAX_SCOPES = 100

# Each field's constraints, the same in every request that sets it (POST, PATCH).
NAME: dict[str, Any] = {
    "min_length": 1,
    "max_length": MAX_NAME_LENGTH,
    "description": "A label to recognise the key by; not blank.",
    "examples": ["CI deploys"],
}
SCOPES: dict[str, Any] = {
    "min_length": 1,
    "max_length": MAX_SCOPES,
    "description": "What the key may do: scopes of this deployment (GET /scopes) that the credential creating it holds.",
    "examples": [["webhooks:read", "webhooks:write"]],
}
DESCRIPTION: dict[str, Any] = {"max_length": MAX_DESCRIPTION_LENGTH, "examples": ["Deploys from the main branch"]}
METADATA: dict[str, Any] = {
    "description": (
        f"A JSON object kept with the key: at most {MAX_METADATA_KEYS} members, names of 1 to {MAX_METADATA_KEY_LENGTH} "
        f"characters, at most {MAX_METADATA_BYTES} bytes as compact JSON; any values."
    ),
    "examples": [{"team": "payments", "ticket": 4711}],
    "json_schema_extra": {
        "maxProperties": MAX_METADATA_KEYS,
        "propertyNames": {"minLength": 1, "maxLength": MAX_METADATA_KEY_LENGTH},
    },
}


class CreateApiKeyRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "CI deploys", "scopes": ["webhooks:read", "webhooks:write"]},
                {"name": "Nightly report", "scopes": ["webhooks:read"], "expires_at": "2030-01-01T00:00:00Z"},
            ]
        }
    )

    name: NotBlank = Field(**NAME)
    scopes: list[ScopeName] = Field(**SCOPES)
    description: str | None = Field(default=None, **DESCRIPTION)
    metadata: dict[str, Any] | None = Field(default=None, **METADATA)
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


def _optional_metadata(schema: dict[str, Any]) -> None:
    optional_member(schema)
    schema.update(METADATA["json_schema_extra"])


class PatchApiKeyRequest(Request):
    """A JSON Merge Patch (RFC 7396) of the key: a member left out keeps its value, a member sent
    sets it, `null` clears `description` or `metadata` (`name` and `scopes` cannot be null).
    `scopes` may only be narrowed: a non-empty subset of the key's. `{}` changes nothing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "CI deploys (main)"},
                {"description": None, "metadata": {"team": "payments"}},
                {"scopes": ["webhooks:read"]},
            ]
        }
    )

    name: NotBlank | None = Field(default=None, **NAME, json_schema_extra=required_member)
    description: str | None = Field(default=None, **DESCRIPTION, json_schema_extra=optional_member)
    metadata: dict[str, Any] | None = Field(
        default=None,
        description=METADATA["description"],
        examples=METADATA["examples"],
        json_schema_extra=_optional_metadata,
    )
    scopes: list[ScopeName] | None = Field(
        default=None,
        **{**SCOPES, "description": "Narrow the key's scopes: a non-empty subset of them."},
        json_schema_extra=required_member,
    )

    def patch(self) -> ApiKeyPatch:
        """The members sent, as the domain's patch (which refuses a null name or scopes)."""
        members: dict[str, Any] = {name: getattr(self, name) for name in self.model_fields_set}
        if members.get("scopes") is not None:
            members["scopes"] = tuple(members["scopes"])
        return ApiKeyPatch(**members)


class RollApiKeyRequest(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"expires_in_seconds": 3600}, {"expires_in_seconds": 0}]})

    expires_in_seconds: int = Field(
        default=int(DEFAULT_ROLL_GRACE.total_seconds()),
        strict=True,  # a JSON integer: not true/false, not "60", not 60.0
        ge=0,
        le=int(MAX_ROLL_GRACE.total_seconds()),
        description=(
            "How long the old key keeps working, in seconds: 0 (stops now) to 604800 (7 days), default 86400 (24 hours); "
            "never past its own expiry."
        ),
        examples=[3600],
    )


class ApiKeyView(View):
    id: ApiKeyId
    name: str = Field(examples=["CI deploys"])
    scopes: list[str] = Field(examples=[["webhooks:read", "webhooks:write"]])
    description: str | None = Field(examples=DESCRIPTION["examples"])
    metadata: dict[str, Any] | None = Field(
        description="The JSON object kept with the key; null when none.", examples=METADATA["examples"]
    )
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
    revoked_reason: str | None = Field(
        description="Why it was revoked: `requested` (POST /api-keys/{id}/revoke), `operator` (integration-admin revoke-key) or `leaked` (integration-admin revoke-leaked); null when not revoked.",
        examples=["requested"],
    )
    rolled_from: ApiKeyId | None = Field(description="The key this one replaced (POST /api-keys/{id}/roll); null when none.")
    last_used_at: Timestamp | None = Field(
        description="When the key was last used, accurate to a minute (a use within a minute of the recorded one is not recorded); null until first used."
    )

    @classmethod
    def of(cls, key: ApiKey, now: datetime) -> ApiKeyView:
        return cls(
            id=key.id,
            name=key.name,
            scopes=list(key.scopes),
            description=key.description,
            metadata=None if key.metadata is None else dict(key.metadata),
            prefix=key.prefix,
            status=key.status(now),
            created_at=key.created_at,
            created_by=key.created_by,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            revoked_reason=key.revoked_reason,
            rolled_from=key.rolled_from,
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


class PreviousKeyView(View):
    id: ApiKeyId
    expires_at: Timestamp = Field(description="When the rolled key stops working.")


class RolledApiKeyView(CreatedApiKeyView):
    previous_key: PreviousKeyView = Field(description="The key it replaces, and when that one stops working.")

    @classmethod
    def of_rolled(cls, rolled: RolledApiKey, now: datetime) -> RolledApiKeyView:
        previous = rolled.previous
        assert previous.expires_at is not None  # a rolled key always gets one
        return cls(
            **CreatedApiKeyView.of_issued(rolled.issued, now).model_dump(),
            previous_key=PreviousKeyView(id=previous.id, expires_at=previous.expires_at),
        )


class ApiKeyPageView(View):
    items: list[ApiKeyView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")

    @classmethod
    def of(cls, page: Page[ApiKey], now: datetime) -> ApiKeyPageView:
        return cls(items=[ApiKeyView.of(key, now) for key in page.items], next_cursor=page.next_cursor)
