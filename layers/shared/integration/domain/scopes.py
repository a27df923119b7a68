"""The scopes this service checks. A credential carries a set of them."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"
    API_KEYS_READ = "api-keys:read"
    API_KEYS_WRITE = "api-keys:write"


ALL_SCOPES: tuple[str, ...] = tuple(scope.value for scope in Scope)
