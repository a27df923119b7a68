"""Authentication, for the authorizer: an API key or an OIDC token becomes a :class:`Principal`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from integration.domain import key_format
from integration.domain.api_keys import ApiKey, ApiKeyStatus
from integration.domain.clock import Clock, utc_now
from integration.domain.errors import AuthenticationError
from integration.domain.principal import Principal, principal_from_claims


class ApiKeyLookup(Protocol):
    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        """One consistent read by the key's hash; None when unknown."""

    def record_use(self, api_key: ApiKey, at: datetime) -> bool:
        """Set ``last_used_at`` to ``at`` unless another use was recorded within the last minute.

        Best effort: returns whether it wrote, and never raises (a failure is logged)."""


class TokenVerifier(Protocol):
    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims once its signature and registered claims check out;
        :class:`AuthenticationError` otherwise."""


class AuthenticateApiKeyUseCase:
    """Turn a presented key into a :class:`Principal`: one read by hash, never a scan.

    The lookup item read also carries ``last_used_at``, so recording the use needs no second
    read: a write happens only when the stored time is a minute old or more (at most one write a
    minute per key), and a failed write never refuses the request.
    """

    def __init__(self, repository: ApiKeyLookup, clock: Clock = utc_now) -> None:
        self._repository = repository
        self._clock = clock

    def execute(self, presented_key: str) -> Principal:
        if not key_format.is_well_formed(presented_key):
            raise AuthenticationError("malformed API key")
        key = self._repository.find_by_hash(key_format.hash_key(presented_key))
        if key is None:
            raise AuthenticationError("unknown API key")
        now = self._clock()
        status = key.status(now)
        if status is not ApiKeyStatus.ACTIVE:
            raise AuthenticationError(f"{status.value} API key")
        if key.use_is_worth_recording(now):
            self._repository.record_use(key, now)
        return Principal(tenant_id=key.tenant_id, credential_id=key.id, scopes=frozenset(key.scopes), expires_at=key.expires_at)


class AuthenticateJwtUseCase:
    """Turn an OIDC token (e.g. a Cognito token) into a :class:`Principal`: verified signature and
    claims, the tenant from ``tenant_claim``, this service's scopes from ``scope``/``scp``."""

    def __init__(self, verifier: TokenVerifier, *, tenant_claim: str, scope_prefix: str = "") -> None:
        self._verifier = verifier
        self._tenant_claim = tenant_claim
        self._scope_prefix = scope_prefix

    def execute(self, token: str) -> Principal:
        claims = self._verifier.verify(token)
        return principal_from_claims(claims, tenant_claim=self._tenant_claim, scope_prefix=self._scope_prefix)
