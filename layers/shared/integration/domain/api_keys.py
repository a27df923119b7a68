"""The API key aggregate and the rules that govern it: issuing and rolling keys, and the scopes
a key may get. The entity, its status and the rules of its fields are
:mod:`integration.domain.api_key` (which reading a key needs alone), its merge patch
:mod:`integration.domain.api_key_patch`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from integration.domain import key_format
from integration.domain.api_key import (
    API_KEY_ID_PREFIX,
    ApiKey,
    ApiKeyStatus,
    check_description,
    check_metadata,
    check_name,
)
from integration.domain.clock import format_timestamp
from integration.domain.errors import ConflictError, InvalidFieldError, PermissionDeniedError
from integration.domain.ids import new_id
from integration.domain.scopes import SERVICE_SCOPES, ScopeCatalogue

MAX_ROLL_GRACE = timedelta(days=7)
DEFAULT_ROLL_GRACE = timedelta(hours=24)


@dataclass(frozen=True)
class IssuedApiKey:
    """A key just created, with its plaintext: returned to the caller once, never stored."""

    api_key: ApiKey
    plaintext: str


def normalise_scopes(
    requested: list[str], granted_to_caller: frozenset[str], catalogue: ScopeCatalogue = SERVICE_SCOPES
) -> tuple[str, ...]:
    """Check the requested scopes and return them de-duplicated in catalogue order.

    ``catalogue`` holds the scopes this deployment knows (the service's and the platform's);
    ``granted_to_caller`` is the set the creating credential holds: a key may only create keys
    whose scopes it holds itself (an operator holds them all).
    """
    if not requested:
        raise InvalidFieldError("scopes", "at least one scope is required")
    unknown = sorted(scope for scope in set(requested) if not catalogue.knows(scope))
    if unknown:
        raise InvalidFieldError("scopes", f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(catalogue.names)}")
    require_granted(requested, granted_to_caller)
    return catalogue.ordered(requested)


def require_granted(scopes: tuple[str, ...] | list[str], granted_to_caller: frozenset[str]) -> None:
    """:class:`PermissionDeniedError` unless the caller holds every scope in ``scopes``."""
    missing = sorted(set(scopes) - granted_to_caller)
    if missing:
        raise PermissionDeniedError(f"a key can only grant scopes it holds itself; missing: {', '.join(missing)}")


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
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    rolled_from: str | None = None,
) -> IssuedApiKey:
    name = check_name(name)
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
        description=check_description(description),
        metadata=check_metadata(metadata),
        rolled_from=rolled_from,
    )
    return IssuedApiKey(api_key=api_key, plaintext=plaintext)


@dataclass(frozen=True)
class RolledApiKey:
    """A roll's outcome: the new key (with its plaintext) and the old one with its new expiry."""

    issued: IssuedApiKey
    previous: ApiKey


def roll_api_key(
    key: ApiKey,
    *,
    grace: timedelta,
    now: datetime,
    created_by: str,
    creator_scopes: frozenset[str],
    creator_expires_at: datetime | None,
) -> RolledApiKey:
    """Replace ``key`` with a new one (same name, description, scopes and metadata; the old
    key's expiry, bounded by the creator's). The old key keeps working ``grace`` longer (0 to
    :data:`MAX_ROLL_GRACE`), never past its own expiry. :class:`ConflictError` for a revoked or
    expired key; :class:`PermissionDeniedError` when the caller lacks one of its scopes."""
    if not timedelta(0) <= grace <= MAX_ROLL_GRACE:
        raise InvalidFieldError("expires_in_seconds", f"must be 0 to {int(MAX_ROLL_GRACE.total_seconds())}")
    status = key.status(now)
    if status is ApiKeyStatus.REVOKED:
        raise ConflictError(f"API key {key.id} is revoked: only an active key can be rolled")
    if status is ApiKeyStatus.EXPIRED:
        raise ConflictError(f"API key {key.id} has expired: only an active key can be rolled")
    require_granted(key.scopes, creator_scopes)
    expires_at = key.expires_at
    if creator_expires_at is not None and (expires_at is None or creator_expires_at < expires_at):
        expires_at = creator_expires_at
    issued = issue_api_key(
        tenant_id=key.tenant_id,
        name=key.name,
        scopes=key.scopes,
        expires_at=expires_at,
        now=now,
        created_by=created_by,
        description=key.description,
        metadata=key.metadata,
        rolled_from=key.id,
    )
    previous_expires_at = now + grace
    if key.expires_at is not None and key.expires_at < previous_expires_at:
        previous_expires_at = key.expires_at
    return RolledApiKey(issued=issued, previous=replace(key, expires_at=previous_expires_at))
