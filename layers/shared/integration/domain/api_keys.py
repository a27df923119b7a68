"""The API key aggregate and the rules that govern it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from integration.domain import key_format
from integration.domain.clock import format_timestamp
from integration.domain.errors import ConflictError, InvalidFieldError, PermissionDeniedError
from integration.domain.ids import new_id
from integration.domain.patch import KEEP, Keep
from integration.domain.scopes import SERVICE_SCOPES, ScopeCatalogue

API_KEY_ID_PREFIX = "key"
MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 500
MAX_METADATA_KEYS = 20
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_BYTES = 1024
"""``metadata`` serialised as compact JSON (UTF-8) is at most this many bytes."""
MAX_ROLL_GRACE = timedelta(days=7)
DEFAULT_ROLL_GRACE = timedelta(hours=24)

# Why a key was revoked (``revoked_reason``; ``reason`` of ApiKeyRevoked).
REVOKED_REQUESTED = "requested"
"""POST /api-keys/{id}/revoke."""
REVOKED_LEAKED = "leaked"
"""Found in public (a secret-scanning report, ``integration-admin revoke-leaked``)."""
REVOKED_BY_OPERATOR = "operator"
"""An operator's ``integration-admin revoke-key``."""
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
    description: str | None = None
    metadata: Mapping[str, Any] | None = field(default=None, hash=False)
    """A small JSON object the tenant keeps with the key (:func:`check_metadata`)."""
    rolled_from: str | None = None
    """The key this one replaced (POST /api-keys/{id}/roll)."""
    revoked_reason: str | None = None

    def status(self, now: datetime) -> ApiKeyStatus:
        if self.revoked_at is not None:
            return ApiKeyStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return ApiKeyStatus.EXPIRED
        return ApiKeyStatus.ACTIVE

    def revoked(self, now: datetime, reason: str = REVOKED_REQUESTED) -> ApiKey:
        return replace(self, revoked_at=now, revoked_reason=reason)

    def patched(self, patch: ApiKeyPatch) -> tuple[ApiKey, list[str]]:
        """The key with ``patch`` applied, and the names of the fields that changed (in field
        order). :class:`ConflictError` for a revoked key; :class:`InvalidFieldError` for a value
        the rules refuse (``scopes`` may only be narrowed)."""
        if self.revoked_at is not None:
            raise ConflictError(f"API key {self.id} is revoked: a revoked key cannot be changed")
        values: dict[str, Any] = {}
        errors: list[tuple[str, str]] = []
        if patch.name is not KEEP:
            try:
                values["name"] = check_name(patch.name)
            except InvalidFieldError as error:
                errors.extend(error.errors)
        if patch.description is not KEEP:
            try:
                values["description"] = check_description(patch.description)
            except InvalidFieldError as error:
                errors.extend(error.errors)
        if patch.metadata is not KEEP:
            try:
                values["metadata"] = check_metadata(patch.metadata)
            except InvalidFieldError as error:
                errors.extend(error.errors)
        if patch.scopes is not KEEP:
            wanted = set(patch.scopes)
            if not wanted:
                errors.append(("scopes", "at least one scope is required"))
            elif not wanted <= set(self.scopes):
                wider = ", ".join(sorted(wanted - set(self.scopes)))
                errors.append(("scopes", f"scopes can only be narrowed: the key does not hold {wider}"))
            else:
                values["scopes"] = tuple(scope for scope in self.scopes if scope in wanted)
        InvalidFieldError.raise_if_any(errors)
        changes = [name for name in PATCH_FIELDS if name in values and values[name] != getattr(self, name)]
        return replace(self, **{name: values[name] for name in changes}), changes

    def use_is_worth_recording(self, now: datetime) -> bool:
        """Whether a use at ``now`` should update ``last_used_at`` (never used, or a minute since)."""
        return self.last_used_at is None or now - self.last_used_at >= LAST_USED_RESOLUTION


@dataclass(frozen=True)
class IssuedApiKey:
    """A key just created, with its plaintext: returned to the caller once, never stored."""

    api_key: ApiKey
    plaintext: str


PATCH_FIELDS = ("name", "description", "metadata", "scopes")
"""What PATCH /api-keys/{id} may change, in the order ``ApiKeyUpdated``'s ``changes`` lists them."""


@dataclass(frozen=True)
class ApiKeyPatch:
    """New values for some of a key's fields (a JSON Merge Patch); the others (:data:`KEEP`)
    keep theirs. ``description=None`` and ``metadata=None`` clear them; ``name`` and ``scopes``
    cannot be None (:class:`InvalidFieldError` naming it)."""

    name: str | Keep = KEEP
    description: str | None | Keep = KEEP
    metadata: Mapping[str, Any] | None | Keep = field(default=KEEP, hash=False)
    scopes: tuple[str, ...] | Keep = KEEP

    def __post_init__(self) -> None:
        InvalidFieldError.raise_if_any(
            [
                (name, f"must not be null: a key always has {name}; leave {name} out to keep its value")
                for name in ("name", "scopes")
                if getattr(self, name) is None
            ]
        )


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidFieldError("name", "must not be blank")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidFieldError("name", f"must be at most {MAX_NAME_LENGTH} characters")
    return name


def check_description(description: str | None) -> str | None:
    """Stripped; None (or blank) is no description."""
    if description is None:
        return None
    description = description.strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidFieldError("description", f"must be at most {MAX_DESCRIPTION_LENGTH} characters")
    return description or None


def metadata_size(metadata: Mapping[str, Any]) -> int:
    """Bytes of ``metadata`` as compact JSON in UTF-8: what :data:`MAX_METADATA_BYTES` bounds."""
    return len(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def check_metadata(metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A JSON object of at most :data:`MAX_METADATA_KEYS` members, each name 1 to
    :data:`MAX_METADATA_KEY_LENGTH` characters, at most :data:`MAX_METADATA_BYTES` as compact
    JSON; any JSON values. None (or ``{}``) is no metadata."""
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise InvalidFieldError("metadata", "must be a JSON object")
    if len(metadata) > MAX_METADATA_KEYS:
        raise InvalidFieldError("metadata", f"must have at most {MAX_METADATA_KEYS} keys")
    for name in metadata:
        if not isinstance(name, str) or not 1 <= len(name) <= MAX_METADATA_KEY_LENGTH:
            raise InvalidFieldError("metadata", f"keys must be 1 to {MAX_METADATA_KEY_LENGTH} characters")
    try:
        size = metadata_size(metadata)
    except (TypeError, ValueError):
        raise InvalidFieldError("metadata", "must hold JSON values only") from None
    if size > MAX_METADATA_BYTES:
        raise InvalidFieldError("metadata", f"must be at most {MAX_METADATA_BYTES} bytes as JSON; it is {size}")
    return dict(metadata) or None


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
