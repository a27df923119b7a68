"""Who is calling: the identity the authorizer established, passed to every use case.

An API key gives one directly; an OIDC token's verified claims give one through
:func:`principal_from_claims`; an operator's command acts as :func:`operator`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from integration.domain.errors import AuthenticationError, InvalidFieldError, PermissionDeniedError

if TYPE_CHECKING:
    from integration.domain.scopes import ScopeCatalogue

OPERATOR_CREDENTIAL_ID = "operator"
OIDC_CREDENTIAL_PREFIX = "oidc:"
# A tenant id becomes part of DynamoDB keys (``TENANT#<tenant>``): no ``#``, no spaces or
# slashes, so no value can ever reach into another tenant's or entity's keys.
TENANT_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
TENANT_ID_RULE = "1 to 128 characters: letters, digits and . _ : @ -, starting with a letter or digit"


@dataclass(frozen=True)
class Principal:
    """``credential_id``: the key's id, ``oidc:<sub>`` for a person signed in with OIDC, or
    ``operator``. ``expires_at``: when the credential stops working (an API key's expiry); None
    when it does not (a key without expiry, an OIDC sign-in, an operator)."""

    tenant_id: str
    credential_id: str
    scopes: frozenset[str]
    expires_at: datetime | None = None

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise PermissionDeniedError(f"this operation needs the scope {scope}")


def check_tenant_id(tenant_id: str, field: str = "tenant") -> str:
    """``tenant_id`` if it follows :data:`TENANT_ID_RULE`; :class:`InvalidFieldError` otherwise."""
    if not TENANT_ID_PATTERN.fullmatch(tenant_id):
        raise InvalidFieldError(field, f"is not a valid tenant id ({TENANT_ID_RULE})")
    return tenant_id


def operator(tenant_id: str, catalogue: ScopeCatalogue | None = None) -> Principal:
    """An operator acting on a tenant (``integration-admin``): every scope of ``catalogue`` (pass
    the deployment's, ``wiring.scope_catalogue()``, for its platform scopes too; None: the
    service's own, :data:`~integration.domain.scopes.SERVICE_SCOPES`), no expiry."""
    catalogue = _or_service_scopes(catalogue)
    return Principal(
        tenant_id=check_tenant_id(tenant_id), credential_id=OPERATOR_CREDENTIAL_ID, scopes=frozenset(catalogue.names)
    )


def _or_service_scopes(catalogue: ScopeCatalogue | None) -> ScopeCatalogue:
    """``catalogue``, or the service's own scopes: the catalogue is loaded only by a caller that
    names scopes (an API key's principal needs none)."""
    if catalogue is not None:
        return catalogue
    from integration.domain.scopes import SERVICE_SCOPES

    return SERVICE_SCOPES


# ------------------------------------------------------------------ OIDC sign-in (JWTs)

MAX_SUBJECT_LENGTH = 255


def principal_from_claims(
    claims: Mapping[str, Any], *, tenant_claim: str, scope_prefix: str = "", catalogue: ScopeCatalogue | None = None
) -> Principal:
    """The principal a verified token's claims describe.

    - tenant: the string claim ``tenant_claim`` (e.g. ``custom:tenant_id``); required.
    - credential id: ``oidc:<sub>``; ``sub`` is required.
    - scopes: ``scope`` (space-separated) and/or ``scp`` (a list, or a space-separated string).
      With ``scope_prefix`` (e.g. Cognito's ``integration/``), only scopes carrying it count,
      and it is removed; only the scopes ``catalogue`` knows (the service's and the deployment's
      platform scopes; None: the service's own) are kept, anything else is ignored.
    """
    tenant_id = claims.get(tenant_claim)
    if not isinstance(tenant_id, str) or not tenant_id:
        raise AuthenticationError(f"the token has no tenant claim {tenant_claim}")
    if not TENANT_ID_PATTERN.fullmatch(tenant_id):
        raise AuthenticationError(f"the token's tenant claim {tenant_claim} is not a valid tenant id")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT_LENGTH:
        raise AuthenticationError("the token has no valid sub claim")
    return Principal(
        tenant_id=tenant_id,
        credential_id=f"{OIDC_CREDENTIAL_PREFIX}{subject}",
        scopes=frozenset(_known_scopes(claims, scope_prefix, _or_service_scopes(catalogue))),
    )


def _claimed_scopes(claims: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            found.extend(value.split())
        elif isinstance(value, list):
            found.extend(item for item in value if isinstance(item, str))
    return found


def _known_scopes(claims: Mapping[str, Any], scope_prefix: str, catalogue: ScopeCatalogue) -> set[str]:
    scopes = set()
    for scope in _claimed_scopes(claims):
        if scope_prefix:
            if not scope.startswith(scope_prefix):
                continue
            scope = scope[len(scope_prefix) :]
        if catalogue.knows(scope):
            scopes.add(scope)
    return scopes
