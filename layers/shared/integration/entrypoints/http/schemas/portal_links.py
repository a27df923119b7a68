"""Portal link bodies: the create request and the link (POST /portal-links)."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from integration.domain.api_key import MAX_NAME_LENGTH
from integration.domain.portal_links import DEFAULT_NAME, DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS, MIN_TTL_SECONDS, PortalLink
from integration.entrypoints.http.schemas.api_keys import MAX_SCOPES, ApiKeyView
from integration.entrypoints.http.schemas.constraints import API_KEY_EXAMPLE, NotBlank, ScopeName
from integration.entrypoints.http.schemas.request import Request
from integration.entrypoints.http.schemas.timestamps import Timestamp
from integration.entrypoints.http.schemas.view import View


class CreatePortalLinkRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{}, {"ttl_seconds": 900, "scopes": ["webhooks:read", "webhooks:write"], "name": "Support session"}]
        }
    )

    ttl_seconds: int = Field(
        default=DEFAULT_TTL_SECONDS,
        strict=True,  # a JSON integer: not true/false, not "60", not 60.0
        ge=MIN_TTL_SECONDS,
        le=MAX_TTL_SECONDS,
        description=(
            f"How long the link (its key) works, in seconds: {MIN_TTL_SECONDS} to {MAX_TTL_SECONDS} (24 hours), default "
            f"{DEFAULT_TTL_SECONDS}; never past the expiry of the credential creating it (a longer one is shortened to it)."
        ),
        examples=[900],
    )
    scopes: list[ScopeName] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_SCOPES,
        description=(
            "What the link's key may do: scopes the credential creating it holds. Default: this service's scopes "
            "(webhooks:read, webhooks:write, api-keys:read, api-keys:write) that it holds, never platform scopes."
        ),
        examples=[["webhooks:read", "webhooks:write"]],
    )
    name: NotBlank = Field(
        default=DEFAULT_NAME,
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        description="The name of the link's key, as GET /api-keys lists it.",
        examples=["Support session"],
    )


class PortalLinkView(View):
    url: str = Field(
        description=(
            "The console's URL with the key and its expiry in the fragment (`#key=...&expires_at=...`), which a browser "
            "never sends to a server. It signs its holder in: shown in this response only, share it like a password."
        ),
        examples=[
            f"https://api.example.com/api/v1/integration/console#key={API_KEY_EXAMPLE}&expires_at=2026-12-02T07%3A00%3A00Z"
        ],
    )
    expires_at: Timestamp = Field(description="When the link and its key stop working.")
    api_key: ApiKeyView = Field(
        description="The key behind the link: an ordinary API key, listed and revocable; `metadata` holds `portal_link: true`."
    )

    @classmethod
    def of(cls, link: PortalLink, now: datetime) -> PortalLinkView:
        return cls(url=link.url, expires_at=link.expires_at, api_key=ApiKeyView.of(link.issued.api_key, now))
