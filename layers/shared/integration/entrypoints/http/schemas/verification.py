"""``POST /api-keys/verify`` bodies: a presented key and the scopes it must hold; the verdict."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from integration.application.authentication import KeyVerification, VerificationCode
from integration.entrypoints.http.schemas.constraints import API_KEY_EXAMPLE, API_KEY_ID_EXAMPLE
from integration.entrypoints.http.schemas.request import Request
from integration.entrypoints.http.schemas.timestamps import Timestamp
from integration.entrypoints.http.schemas.view import View

MAX_PRESENTED_KEY_LENGTH = 256
MAX_REQUIRED_SCOPES = 50
RequiredScope = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^\S+$")]


class VerifyApiKeyRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"key": API_KEY_EXAMPLE, "required_scopes": ["orders:read"]}, {"key": API_KEY_EXAMPLE}]}
    )

    key: str = Field(
        max_length=MAX_PRESENTED_KEY_LENGTH,
        description="The key a tenant presented to your service, as presented. A malformed one answers `NOT_FOUND`.",
        examples=[API_KEY_EXAMPLE],
    )
    required_scopes: list[RequiredScope] = Field(
        default_factory=list,
        max_length=MAX_REQUIRED_SCOPES,
        description="Scopes the key must all hold (this service's or the platform's); `INSUFFICIENT_SCOPE` when one is missing.",
        examples=[["orders:read"]],
    )


class KeyVerificationView(View):
    valid: bool = Field(description="True only for `VALID`.")
    code: VerificationCode = Field(
        description=(
            "`VALID`; `NOT_FOUND` (malformed, wrong checksum or unknown); `EXPIRED` (its expiry is now or past); "
            "`REVOKED`; `INSUFFICIENT_SCOPE` (active, but lacking a required scope)."
        )
    )
    tenant_id: str | None = Field(description="The key's tenant; null for `NOT_FOUND`.", examples=["tenant-a"])
    key_id: str | None = Field(description="The key's id; null for `NOT_FOUND`.", examples=[API_KEY_ID_EXAMPLE])
    scopes: list[str] | None = Field(description="The key's scopes; null for `NOT_FOUND`.", examples=[["orders:read"]])
    expires_at: Timestamp | None = Field(description="When the key stops working; null: never, or `NOT_FOUND`.")

    @classmethod
    def of(cls, verdict: KeyVerification) -> KeyVerificationView:
        key = verdict.key
        return cls(
            valid=verdict.valid,
            code=verdict.code,
            tenant_id=key.tenant_id if key else None,
            key_id=key.id if key else None,
            scopes=list(key.scopes) if key else None,
            expires_at=key.expires_at if key else None,
        )
