"""The merge patch of an API key (PATCH /api-keys/{id}): the fields it changes, and those it
keeps. :meth:`integration.domain.api_key.ApiKey.patched` applies it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from integration.domain.errors import InvalidFieldError
from integration.domain.patch import KEEP, Keep


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
