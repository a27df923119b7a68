"""Authentication: an API key or an OIDC token becomes a :class:`Principal` (the authorizer), and
an API key's verification for the platform's own services (``POST /api-keys/verify``).

There is one way to check a key, :class:`VerifyApiKeyUseCase`: the authorizer's
:class:`AuthenticateApiKeyUseCase` is it, refusing whatever is not ``VALID``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from integration.domain import key_format
from integration.domain.api_key import ApiKey, ApiKeyStatus
from integration.domain.clock import Clock, utc_now
from integration.domain.errors import AuthenticationError
from integration.domain.principal import Principal, principal_from_claims

if TYPE_CHECKING:
    from integration.domain.scopes import ScopeCatalogue


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


class VerificationCode(StrEnum):
    """What a presented key is (Unkey's ``verifyKey`` codes)."""

    VALID = "VALID"
    NOT_FOUND = "NOT_FOUND"  # malformed, a wrong checksum, or no such key
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    INSUFFICIENT_SCOPE = "INSUFFICIENT_SCOPE"  # active, but without a required scope


@dataclass(frozen=True)
class KeyVerification:
    """The verdict on a presented key; ``key`` is the key found (None for ``NOT_FOUND``)."""

    code: VerificationCode
    key: ApiKey | None = None
    reason: str = ""
    """Why, in words, for a log line: never the key."""

    @property
    def valid(self) -> bool:
        return self.code is VerificationCode.VALID

    def principal(self) -> Principal:
        """The caller a valid key establishes."""
        if self.key is None or not self.valid:
            raise AuthenticationError(self.reason or "invalid API key")
        key = self.key
        return Principal(tenant_id=key.tenant_id, credential_id=key.id, scopes=frozenset(key.scopes), expires_at=key.expires_at)


class VerifyApiKeyUseCase:
    """Check a presented key: one consistent read by hash, never a scan.

    A malformed key or a wrong checksum is ``NOT_FOUND`` without a read. A found key is
    ``REVOKED``, ``EXPIRED`` (its expiry is now or past), ``INSUFFICIENT_SCOPE`` (active but
    lacking one of ``required_scopes``) or ``VALID``.

    The lookup item read also carries ``last_used_at``, so recording a use needs no second read:
    an active key's use (``VALID`` or ``INSUFFICIENT_SCOPE``: it authenticated) is written only
    when the stored time is a minute old or more (at most one write a minute per key), and a
    failed write never changes the verdict.
    """

    def __init__(self, repository: ApiKeyLookup, clock: Clock = utc_now) -> None:
        self._repository = repository
        self._clock = clock

    def execute(self, presented_key: str, required_scopes: Iterable[str] = ()) -> KeyVerification:
        if not key_format.is_well_formed(presented_key):
            return KeyVerification(VerificationCode.NOT_FOUND, reason="malformed API key")
        key = self._repository.find_by_hash(key_format.hash_key(presented_key))
        if key is None:
            return KeyVerification(VerificationCode.NOT_FOUND, reason="unknown API key")
        now = self._clock()
        status = key.status(now)
        if status is ApiKeyStatus.REVOKED:
            return KeyVerification(VerificationCode.REVOKED, key, "revoked API key")
        if status is ApiKeyStatus.EXPIRED:
            return KeyVerification(VerificationCode.EXPIRED, key, "expired API key")
        if key.use_is_worth_recording(now):
            self._repository.record_use(key, now)
        missing = sorted(set(required_scopes) - set(key.scopes))
        if missing:
            return KeyVerification(VerificationCode.INSUFFICIENT_SCOPE, key, f"the key lacks {' '.join(missing)}")
        return KeyVerification(VerificationCode.VALID, key)


class AuthenticateApiKeyUseCase:
    """Turn a presented key into a :class:`Principal`: :class:`VerifyApiKeyUseCase` (one read by
    hash, the use recorded at most once a minute), anything but ``VALID`` refused with
    :class:`AuthenticationError`."""

    def __init__(self, repository: ApiKeyLookup, clock: Clock = utc_now) -> None:
        self._verify = VerifyApiKeyUseCase(repository, clock)

    def execute(self, presented_key: str) -> Principal:
        return self._verify.execute(presented_key).principal()


class AuthenticateJwtUseCase:
    """Turn an OIDC token (e.g. a Cognito token) into a :class:`Principal`: verified signature and
    claims, the tenant from ``tenant_claim``, the known scopes (``catalogue``; None: the service's
    own) from ``scope``/``scp``."""

    def __init__(
        self, verifier: TokenVerifier, *, tenant_claim: str, scope_prefix: str = "", catalogue: ScopeCatalogue | None = None
    ) -> None:
        self._verifier = verifier
        self._tenant_claim = tenant_claim
        self._scope_prefix = scope_prefix
        self._catalogue = catalogue

    def execute(self, token: str) -> Principal:
        claims = self._verifier.verify(token)
        return principal_from_claims(
            claims, tenant_claim=self._tenant_claim, scope_prefix=self._scope_prefix, catalogue=self._catalogue
        )
