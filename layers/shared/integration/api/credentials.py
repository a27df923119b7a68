"""Reading the presented credential from request headers (for the authorizer)."""

from __future__ import annotations

from collections.abc import Mapping


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
