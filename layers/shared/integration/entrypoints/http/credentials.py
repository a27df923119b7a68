"""The credential at the edge: reading what a request presents (for the authorizer), and the
authorizer's context, which carries the caller it established to every function."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from integration.domain.errors import AuthenticationError
from integration.domain.key_format import KEY_PREFIX
from integration.domain.principal import OIDC_CREDENTIAL_PREFIX, Principal
from integration.entrypoints.http.headers import header

# A compact JWS: three base64url segments (header.payload.signature).
_JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class CredentialKind(StrEnum):
    API_KEY = "api_key"
    JWT = "jwt"


@dataclass(frozen=True)
class PresentedCredential:
    """What a request presents to authenticate with: an API key or a JWT, as sent."""

    kind: CredentialKind
    value: str

    def __repr__(self) -> str:  # never the credential itself, in a log or a traceback
        return f"PresentedCredential(kind={self.kind.value})"


def looks_like_jwt(token: str) -> bool:
    """Three base64url segments and not an API key (those start with ``intk_`` and have no dots)."""
    return not token.startswith(KEY_PREFIX) and _JWT_SHAPE.fullmatch(token) is not None


def presented_credential(headers: Mapping[str, str]) -> PresentedCredential | None:
    """What the request presents, or None: as :func:`presented_api_key` reads it, then sorted.

    A JWT is only taken from ``Authorization: Bearer``; ``X-Api-Key`` always holds an API key.
    Whatever is not JWT-shaped goes the API-key way (which refuses a malformed key).
    """
    value = presented_api_key(headers)
    if value is None:
        return None
    from_x_api_key = bool((header(headers, "x-api-key") or "").strip())
    if not from_x_api_key and looks_like_jwt(value):
        return PresentedCredential(CredentialKind.JWT, value)
    return PresentedCredential(CredentialKind.API_KEY, value)


def presented_api_key(headers: Mapping[str, str]) -> str | None:
    """The key from ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``, or None.

    Header names are matched case-insensitively. When both headers are sent they must agree,
    so a request can never be authorized by one credential and logged as another.
    """
    bearer = None
    authorization = header(headers, "authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        bearer = token.strip()
    header_key = header(headers, "x-api-key")
    header_key = header_key.strip() if header_key is not None else None
    if bearer and header_key and bearer != header_key:
        return None
    return bearer or header_key or None


def authorizer_context(principal: Principal) -> dict[str, str]:
    """What the authorizer passes on (HTTP API: ``requestContext.authorizer.lambda``; REST API:
    ``requestContext.authorizer``): ``tenantId``, ``keyId`` (the API key's id; empty for an OIDC
    sign-in), ``credentialId`` (the key's id or ``oidc:<sub>``), ``scopes`` (space-separated) and
    ``expiresAt`` (ISO 8601, or empty when the credential does not expire). Flat strings only:
    a REST API refuses an authorizer context holding objects or lists."""
    is_key = not principal.credential_id.startswith(OIDC_CREDENTIAL_PREFIX)
    return {
        "tenantId": principal.tenant_id,
        "keyId": principal.credential_id if is_key else "",
        "credentialId": principal.credential_id,
        "scopes": " ".join(sorted(principal.scopes)),
        "expiresAt": principal.expires_at.isoformat() if principal.expires_at is not None else "",
    }


def principal_from_authorizer_context(context: Mapping[str, Any] | None) -> Principal:
    """The caller :func:`authorizer_context` described; :class:`AuthenticationError` without one."""
    context = context or {}
    tenant_id = context.get("tenantId")
    credential_id = context.get("credentialId")
    if not tenant_id or not credential_id:
        raise AuthenticationError("no authenticated caller on this request")
    expires_at = context.get("expiresAt")
    return Principal(
        tenant_id=str(tenant_id),
        credential_id=str(credential_id),
        scopes=frozenset(str(context.get("scopes", "")).split()),
        expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
    )
