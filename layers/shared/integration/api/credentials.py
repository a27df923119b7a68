"""Reading the presented credential from request headers (for the authorizer)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from integration.domain.key_format import KEY_PREFIX

# A compact JWS: three base64url segments (header.payload.signature).
_JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


class CredentialKind(StrEnum):
    API_KEY = "api_key"
    JWT = "jwt"


@dataclass(frozen=True)
class PresentedCredential:
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
    from_x_api_key = any(name.lower() == "x-api-key" and header.strip() for name, header in headers.items())
    if not from_x_api_key and looks_like_jwt(value):
        return PresentedCredential(CredentialKind.JWT, value)
    return PresentedCredential(CredentialKind.API_KEY, value)


def presented_api_key(headers: Mapping[str, str]) -> str | None:
    """The key from ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``, or None.

    Header names are matched case-insensitively. When both headers are sent they must agree,
    so a request can never be authorized by one credential and logged as another.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    bearer = None
    authorization = lowered.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        bearer = token.strip()
    header_key = lowered.get("x-api-key")
    header_key = header_key.strip() if header_key is not None else None
    if bearer and header_key and bearer != header_key:
        return None
    return bearer or header_key or None
