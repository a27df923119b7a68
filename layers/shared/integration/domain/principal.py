"""Who is calling: the identity the authorizer established, passed to every use case."""

from __future__ import annotations

from dataclasses import dataclass

from integration.domain.errors import PermissionDeniedError


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    credential_id: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise PermissionDeniedError(f"this operation needs the scope {scope}")
