"""The scopes a credential may carry: this service's own, and the platform's a deployment adds.

This service checks its own (:class:`Scope`). A deployment adds the platform's other APIs' scopes
(template parameter ``PlatformScopes``, env ``PLATFORM_SCOPES``: comma-separated, each ``name``
or ``name=description``, e.g. ``orders:read=Read orders,invoices:read``): keys may carry them, and
the authorizer passes them on to whatever API it protects. :class:`ScopeCatalogue` is the known
set: the domain is handed one, it never reads settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Scope(StrEnum):
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"
    API_KEYS_READ = "api-keys:read"
    API_KEYS_WRITE = "api-keys:write"


ALL_SCOPES: tuple[str, ...] = tuple(scope.value for scope in Scope)
"""This service's own scopes (not the platform's: see :class:`ScopeCatalogue`)."""

SERVICE_SCOPE_DESCRIPTIONS: dict[str, str] = {
    Scope.WEBHOOKS_READ: "Read webhooks and their delivery log",
    Scope.WEBHOOKS_WRITE: "Create, change, test and delete webhooks; retry deliveries",
    Scope.API_KEYS_READ: "Read API keys (never their secret)",
    Scope.API_KEYS_WRITE: "Create, change, roll and revoke API keys (at most the caller's own scopes)",
}

SCOPE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,62}:[a-z][a-z0-9*-]{0,62}$")
"""A scope's name: ``<resource>:<action>``, lower case (every service scope matches it)."""
MAX_SCOPE_DESCRIPTION_LENGTH = 200
PLATFORM_SCOPE_DESCRIPTION = "A platform scope this deployment accepts on API keys; the platform's APIs check it."


@dataclass(frozen=True)
class ScopeEntry:
    """One scope of the catalogue: its name, what it allows, and whose it is."""

    name: str
    description: str
    origin: Literal["service", "platform"]


def parse_platform_scopes(configured: str) -> tuple[tuple[str, str | None], ...]:
    """``PLATFORM_SCOPES`` as ``(name, description or None)`` pairs; :class:`ValueError` on an
    entry whose name does not match :data:`SCOPE_NAME_PATTERN`, a duplicate, or a service scope."""
    parsed: dict[str, str | None] = {}
    for entry in configured.split(","):
        if not entry.strip():
            continue
        name, separator, description = entry.partition("=")
        name, description = name.strip(), description.strip()
        if not SCOPE_NAME_PATTERN.match(name):
            raise ValueError(f"invalid scope name {name!r}: <resource>:<action> in lower case, e.g. orders:read")
        if name in ALL_SCOPES:
            raise ValueError(f"{name} is one of this service's own scopes; a platform scope cannot redefine it")
        if name in parsed:
            raise ValueError(f"{name} is listed twice")
        if separator and not description:
            raise ValueError(f"{name}= has an empty description; leave out the = for none")
        if len(description) > MAX_SCOPE_DESCRIPTION_LENGTH:
            raise ValueError(f"the description of {name} is longer than {MAX_SCOPE_DESCRIPTION_LENGTH} characters")
        parsed[name] = description or None
    return tuple(parsed.items())


class ScopeCatalogue:
    """The scopes a key may carry in this deployment: the service's first, then the platform's."""

    def __init__(self, platform_scopes: Iterable[tuple[str, str | None]] = ()) -> None:
        service = [ScopeEntry(name, SERVICE_SCOPE_DESCRIPTIONS[name], "service") for name in ALL_SCOPES]
        platform = [
            ScopeEntry(name, description or PLATFORM_SCOPE_DESCRIPTION, "platform")
            for name, description in platform_scopes
            if name not in ALL_SCOPES
        ]
        self.entries: tuple[ScopeEntry, ...] = (*service, *platform)
        self.names: tuple[str, ...] = tuple(entry.name for entry in self.entries)
        self._known = frozenset(self.names)

    def knows(self, name: str) -> bool:
        return name in self._known

    def ordered(self, scopes: Iterable[str]) -> tuple[str, ...]:
        """``scopes`` de-duplicated, in catalogue order (unknown ones left out)."""
        wanted = set(scopes)
        return tuple(name for name in self.names if name in wanted)


SERVICE_SCOPES = ScopeCatalogue()
"""The catalogue of a deployment without platform scopes."""
