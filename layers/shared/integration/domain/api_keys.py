"""The API key aggregate and the rules that govern it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from integration.domain import key_format
from integration.domain.clock import format_timestamp
from integration.domain.errors import InvalidFieldError, PermissionDeniedError
from integration.domain.ids import new_id
from integration.domain.scopes import ALL_SCOPES

API_KEY_ID_PREFIX = "key"
MAX_NAME_LENGTH = 100
# ``last_used_at`` is kept to the minute: a key used again within a minute of its recorded last
# use writes nothing, so a busy key costs at most one write a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ApiKey:
    """A tenant's API key as stored: never the plaintext, only its SHA-256."""

    id: str
    tenant_id: str
    name: str
    scopes: tuple[str, ...]
    key_hash: str
    prefix: str
    created_at: datetime
    created_by: str
    """The credential that made it: a key's id, ``oidc:<sub>``, or ``operator``."""
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def status(self, now: datetime) -> ApiKeyStatus:
        if self.revoked_at is not None:
            return ApiKeyStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return ApiKeyStatus.EXPIRED
        return ApiKeyStatus.ACTIVE

    def revoked(self, now: datetime) -> ApiKey:
        return replace(self, revoked_at=now)

    def use_is_worth_recording(self, now: datetime) -> bool:
        """Whether a use at ``now`` should update ``last_used_at`` (never used, or a minute since)."""
        return self.last_used_at is None or now - self.last_used_at >= LAST_USED_RESOLUTION


@dataclass(frozen=True)
class IssuedApiKey:
    """A key just created, with its plaintext: returned to the caller once, never stored."""

    api_key: ApiKey
    plaintext: str


def normalise_scopes(requested: list[str], granted_to_caller: frozenset[str]) -> tuple[str, ...]:
    """Check the requested scopes and return them de-duplicated in catalogue order.

    ``granted_to_caller`` is the set the creating credential holds: a key may only create keys
    whose scopes it holds itself (an operator holds them all).
    """
    if not requested:
        raise InvalidFieldError("scopes", "at least one scope is required")
    unknown = sorted(set(requested) - set(ALL_SCOPES))
    if unknown:
        raise InvalidFieldError("scopes", f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}")
    missing = sorted(set(requested) - granted_to_caller)
    if missing:
        raise PermissionDeniedError(f"a key can only grant scopes it holds itself; missing: {', '.join(missing)}")
    return tuple(scope for scope in ALL_SCOPES if scope in requested)


def expiry_within_creator(requested: datetime | None, creator_expires_at: datetime | None) -> datetime | None:
    """The expiry of a key made by a credential that expires at ``creator_expires_at``: a key
    never outlives the key that made it. Omitted, it is the creator's; a later one is refused
    (``expires_at``). A creator that does not expire (None) bounds nothing."""
    if creator_expires_at is None:
        return requested
    if requested is None:
        return creator_expires_at
    if requested > creator_expires_at:
        raise InvalidFieldError(
            "expires_at", f"must be no later than {format_timestamp(creator_expires_at)}, when the key creating it expires"
        )
    return requested


def issue_api_key(
    *,
    tenant_id: str,
    name: str,
    scopes: tuple[str, ...],
    expires_at: datetime | None,
    now: datetime,
    created_by: str,
) -> IssuedApiKey:
    name = name.strip()
    if not name:
        raise InvalidFieldError("name", "must not be blank")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidFieldError("name", f"must be at most {MAX_NAME_LENGTH} characters")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise InvalidFieldError("expires_at", "must include a time zone, e.g. 2030-01-01T00:00:00Z")
        if expires_at <= now:
            raise InvalidFieldError("expires_at", "must be in the future")
    plaintext = key_format.generate_key()
    api_key = ApiKey(
        id=new_id(API_KEY_ID_PREFIX, int(now.timestamp() * 1000)),
        tenant_id=tenant_id,
        name=name,
        scopes=scopes,
        key_hash=key_format.hash_key(plaintext),
        prefix=key_format.display_prefix(plaintext),
        created_at=now,
        created_by=created_by,
        expires_at=expires_at,
    )
    return IssuedApiKey(api_key=api_key, plaintext=plaintext)
