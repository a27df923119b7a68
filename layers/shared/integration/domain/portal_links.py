"""Portal links: a short-lived API key handed over as a link that signs its holder in to the console.

A portal link's key is an ordinary API key (listed, rolled, revoked like any other), made by the
same rules as POST /api-keys: at most the creator's scopes, never outliving the creator. It is
marked with :data:`PORTAL_LINK_METADATA` in its metadata. The link carries the plaintext key and
its expiry in the URL's fragment (``#key=...&expires_at=...``), which browsers never send to a
server, so the key reaches no server's access log, and never in a query string.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from integration.domain.api_keys import IssuedApiKey
from integration.domain.clock import format_timestamp, format_timestamp_seconds
from integration.domain.errors import InvalidFieldError
from integration.domain.scopes import ALL_SCOPES

MIN_TTL_SECONDS = 1
MAX_TTL_SECONDS = 86_400
DEFAULT_TTL_SECONDS = 3_600
DEFAULT_NAME = "Portal link"
PORTAL_LINK_METADATA = {"portal_link": True}
"""The metadata of every portal link's key: how to tell them apart in GET /api-keys."""

# encodeURIComponent leaves these as they are; everything else is percent-encoded.
_URI_COMPONENT_SAFE = "-_.!~*'()"


@dataclass(frozen=True)
class PortalLink:
    """A portal link just made: its URL (with the plaintext key: shown once, never stored), when
    it stops working, and the key behind it."""

    url: str
    expires_at: datetime
    issued: IssuedApiKey

    def __repr__(self) -> str:  # never the key, in a log or a traceback
        return f"PortalLink(api_key_id={self.issued.api_key.id!r}, expires_at={format_timestamp(self.expires_at)!r})"


def check_ttl(ttl_seconds: int) -> timedelta:
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int) or not MIN_TTL_SECONDS <= ttl_seconds <= MAX_TTL_SECONDS:
        raise InvalidFieldError("ttl_seconds", f"must be a whole number of seconds from {MIN_TTL_SECONDS} to {MAX_TTL_SECONDS}")
    return timedelta(seconds=ttl_seconds)


def link_expiry(now: datetime, ttl_seconds: int, creator_expires_at: datetime | None) -> datetime:
    """When a link made at ``now`` for ``ttl_seconds`` stops working: ``now + ttl``, never later
    than the credential making it (a longer ttl is shortened to it), in whole seconds (rounded
    down), as the link writes it."""
    expires_at = now + check_ttl(ttl_seconds)
    if creator_expires_at is not None and creator_expires_at < expires_at:
        expires_at = creator_expires_at
    expires_at = expires_at.astimezone(UTC).replace(microsecond=0)
    if expires_at <= now:
        raise InvalidFieldError("ttl_seconds", "the credential making the link expires within a second: sign in again")
    return expires_at


def default_scopes(held: frozenset[str]) -> list[str]:
    """The scopes a link gets when none are asked for: this service's own that the creator holds
    (never platform scopes); :class:`InvalidFieldError` (``scopes``) when it holds none."""
    scopes = [scope for scope in ALL_SCOPES if scope in held]
    if not scopes:
        raise InvalidFieldError("scopes", "the caller holds none of this service's scopes: name the scopes the link should carry")
    return scopes


def portal_link_url(console_url: str, plaintext: str, expires_at: datetime) -> str:
    """``<console_url>#key=<plaintext>&expires_at=<time>``, the values encoded as JavaScript's
    ``encodeURIComponent`` does. ``console_url`` carries no fragment (one would be replaced)."""
    base = console_url.split("#", 1)[0]
    key = quote(plaintext, safe=_URI_COMPONENT_SAFE)
    expiry = quote(format_timestamp_seconds(expires_at), safe=_URI_COMPONENT_SAFE)
    return f"{base}#key={key}&expires_at={expiry}"
