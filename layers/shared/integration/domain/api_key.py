"""The API key entity as stored, its status, and the rules of its descriptive fields (name,
description, metadata): what reading a key, and changing one, needs. The patch :meth:`ApiKey.patched`
applies is :mod:`integration.domain.api_key_patch`; issuing and rolling keys are
:mod:`integration.domain.api_keys`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from integration.domain.errors import ConflictError, InvalidFieldError
from integration.domain.patch import KEEP

if TYPE_CHECKING:
    from integration.domain.api_key_patch import ApiKeyPatch

API_KEY_ID_PREFIX = "key"
MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 500
MAX_METADATA_KEYS = 20
MAX_METADATA_KEY_LENGTH = 40
MAX_METADATA_BYTES = 1024
"""``metadata`` serialised as compact JSON (UTF-8) is at most this many bytes."""

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


PATCH_FIELDS = ("name", "description", "metadata", "scopes")
"""What PATCH /api-keys/{id} may change, in the order ``ApiKeyUpdated``'s ``changes`` lists them."""


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
